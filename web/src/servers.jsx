/* The VM list (administrators: every VM, with filters; customers: their
 * own servers) and the create dialog. */
import React, { useEffect, useState } from "react";
import {
    Button, Checkbox, EmptyState, EmptyStateBody, EmptyStateHeader, Form, FormGroup,
    FormSelect, FormSelectOption, Modal, SearchInput, Toolbar, ToolbarContent, ToolbarItem,
} from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";

import { A, Field, InlineError, JobProgress, LifecycleButtons, StateLabel, UsageBars, useAction, useModel } from "./common.jsx";
import { CUSTOMER, VM, fieldOfError, variants } from "./dbus.js";
import { parseSize, vmIdOfPath } from "./format.js";

const STATES = ["running", "stopped", "paused", "suspended", "crashed", "provisioning", "unknown"];

export function ServerList({ vmgr, rights, catalog }) {
    useModel(vmgr);
    const [text, setText] = useState("");
    const [state, setState] = useState("");
    const [owner, setOwner] = useState("");
    const [creating, setCreating] = useState(false);
    const admin = rights.has(A.VIEW_ANY);

    const vms = vmgr.list(VM).sort((a, b) => a.Id - b.Id);
    const owners = [...new Set(vms.map(v => v.OwnerName))].sort();
    const shown = vms.filter(v =>
        (!text || `${v.Name} ${v.Id} ${(v.Addresses || []).join(" ")} ${v.Plan}`.toLowerCase().includes(text.toLowerCase())) &&
        (!state || v.State === state) &&
        (!owner || v.OwnerName === owner));

    return (
        <>
            <Toolbar>
                <ToolbarContent>
                    <ToolbarItem>
                        <SearchInput id="vm-filter" placeholder="Filter by name, id, address, plan" value={text}
                                     onChange={(_e, v) => setText(v)} onClear={() => setText("")} />
                    </ToolbarItem>
                    <ToolbarItem>
                        <FormSelect id="vm-filter-state" aria-label="State" value={state} onChange={(_e, v) => setState(v)}>
                            <FormSelectOption value="" label="Every state" />
                            {STATES.map(s => <FormSelectOption key={s} value={s} label={s} />)}
                        </FormSelect>
                    </ToolbarItem>
                    {admin &&
                        <ToolbarItem>
                            <FormSelect id="vm-filter-owner" aria-label="Owner" value={owner} onChange={(_e, v) => setOwner(v)}>
                                <FormSelectOption value="" label="Every owner" />
                                {owners.map(o => <FormSelectOption key={o} value={o} label={o} />)}
                            </FormSelect>
                        </ToolbarItem>}
                    {rights.has(A.CREATE) &&
                        <ToolbarItem align={{ default: "alignRight" }}>
                            <Button id="create-vm" variant="primary" onClick={() => setCreating(true)}>Create server</Button>
                        </ToolbarItem>}
                </ToolbarContent>
            </Toolbar>
            {vms.length === 0
                ? <EmptyState><EmptyStateHeader titleText="No servers" headingLevel="h3" />
                    <EmptyStateBody>{admin ? "Create one with the button above." : "Contract a plan to get a server."}</EmptyStateBody></EmptyState>
                : <Table id="vm-list" aria-label="Servers" variant="compact">
                    <Thead>
                        <Tr>
                            <Th>Name</Th><Th>Id</Th>{admin && <Th>Owner</Th>}<Th>Plan</Th><Th>State</Th>
                            <Th>Address</Th><Th>Usage</Th><Th screenReaderText="Actions" />
                        </Tr>
                    </Thead>
                    <Tbody>
                        {shown.map(vm => (
                            <Tr key={vm.path} data-vm={vm.Name} className="vmgr-vm-row">
                                <Td dataLabel="Name">
                                    <Button variant="link" isInline className="vmgr-vm-link"
                                            onClick={() => cockpit.location.go(["vm", vmIdOfPath(vm.path)])}>{vm.Name}</Button>
                                </Td>
                                <Td dataLabel="Id">{vm.Id}</Td>
                                {admin && <Td dataLabel="Owner">{vm.OwnerName}</Td>}
                                <Td dataLabel="Plan">{vm.Plan || "—"}</Td>
                                <Td dataLabel="State"><StateLabel state={vm.State} /><JobProgress vmgr={vmgr} path={vm.Job} /></Td>
                                <Td dataLabel="Address">{(vm.Addresses || []).join(", ") || "—"}</Td>
                                <Td dataLabel="Usage" width={25}><UsageBars vm={vm} /></Td>
                                <Td dataLabel="Actions"><LifecycleButtons vmgr={vmgr} rights={rights} vm={vm} compact /></Td>
                            </Tr>
                        ))}
                    </Tbody>
                </Table>}
            {creating && <CreateDialog vmgr={vmgr} catalog={catalog} onClose={() => setCreating(false)} />}
        </>
    );
}

const CREATE_FIELDS = ["name", "template", "plan", "owner", "memory_limit", "vcpus", "disk_hard_limit",
    "hostname", "addresses", "gateway", "nameservers", "id"];

function splitList(text) {
    return text.split(/[\s,]+/).filter(Boolean);
}

/* CreateVM's options from the form; a malformed size is sent as the
 * caller typed it would be refused, so it is reported here instead. */
function createOptions(f) {
    const size = (key, text) => {
        if (!text)
            return undefined;
        const n = parseSize(text);
        if (Number.isNaN(n))
            throw Object.assign(new Error(`${key} '${text}' is not a size (use e.g. 512M or 2G)`),
                                { name: "org.vmgr.Error.InvalidArgument" });
        return n;
    };
    return variants({
        owner: ["u", f.owner !== "" ? Number(f.owner) : undefined],
        memory_limit: ["t", size("memory_limit", f.memory_limit)],
        disk_hard_limit: ["t", size("disk_hard_limit", f.disk_hard_limit)],
        vcpus: ["u", f.vcpus ? Number(f.vcpus) : undefined],
        hostname: ["s", f.hostname || undefined],
        addresses: ["as", f.addresses ? splitList(f.addresses) : undefined],
        gateway: ["s", f.gateway || undefined],
        nameservers: ["as", f.nameservers ? splitList(f.nameservers) : undefined],
        start: ["b", f.start],
    });
}

function CreateDialog({ vmgr, catalog, onClose }) {
    const customers = vmgr.list(CUSTOMER).sort((a, b) => a.Uid - b.Uid);
    const [f, setF] = useState({
        name: "", template: "", plan: "", owner: "", memory_limit: "", vcpus: "", disk_hard_limit: "",
        hostname: "", addresses: "", gateway: "", nameservers: "", start: true,
    });
    const [submit, busy, error] = useAction(async () => {
        const [path] = await vmgr.manager("CreateVM", "sssa{sv}", [f.name, f.template, f.plan, createOptions(f)]);
        onClose();
        cockpit.location.go(["vm", vmIdOfPath(path)]);
    });
    const templates = catalog.templates || [];
    const plans = catalog.plans || [];
    useEffect(() => {
        if (!f.template && templates.length)
            setF(old => ({ ...old, template: templates[0][0] }));
    }, [templates, f.template]);

    const set = key => value => setF(old => ({ ...old, [key]: value }));
    const field = fieldOfError(error, CREATE_FIELDS);
    const at = key => (field === key ? error : null);

    return (
        <Modal id="create-dialog" title="Create server" variant="medium" isOpen onClose={onClose}
               actions={[
                   <Button key="create" id="create-submit" variant="primary" onClick={submit} isLoading={busy} isDisabled={busy}>Create</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <Form isHorizontal onSubmit={ev => { ev.preventDefault(); submit() }}>
                <Field id="create-name" label="Name" value={f.name} onChange={set("name")} error={at("name")} isRequired />
                <FormGroup label="Template" fieldId="create-template" isRequired>
                    <FormSelect id="create-template" value={f.template} onChange={(_e, v) => set("template")(v)}>
                        {templates.map(([name, props]) => <FormSelectOption key={name} value={name} label={`${name} (${props.os ? props.os.v : ""})`} />)}
                    </FormSelect>
                    {at("template") && <InlineError error={error} />}
                </FormGroup>
                <FormGroup label="Plan" fieldId="create-plan">
                    <FormSelect id="create-plan" value={f.plan} onChange={(_e, v) => set("plan")(v)}>
                        <FormSelectOption value="" label="No plan (give the resources below)" />
                        {plans.map(([name]) => <FormSelectOption key={name} value={name} label={name} />)}
                    </FormSelect>
                    {at("plan") && <InlineError error={error} />}
                </FormGroup>
                <FormGroup label="Owner" fieldId="create-owner">
                    <FormSelect id="create-owner" value={f.owner} onChange={(_e, v) => set("owner")(v)}>
                        <FormSelectOption value="" label="Me" />
                        {customers.map(c => <FormSelectOption key={c.Uid} value={String(c.Uid)} label={`${c.UserName} — ${c.FullName}`} />)}
                    </FormSelect>
                    {at("owner") && <InlineError error={error} />}
                </FormGroup>
                <Field id="create-memory" label="Memory limit" value={f.memory_limit} onChange={set("memory_limit")}
                       placeholder="from the plan, e.g. 512M" error={at("memory_limit")} />
                <Field id="create-vcpus" label="vCPUs" value={f.vcpus} onChange={set("vcpus")} placeholder="from the plan" error={at("vcpus")} />
                <Field id="create-disk" label="Disk hard limit" value={f.disk_hard_limit} onChange={set("disk_hard_limit")}
                       placeholder="from the plan, e.g. 2G" error={at("disk_hard_limit")} />
                <Field id="create-hostname" label="Host name" value={f.hostname} onChange={set("hostname")} error={at("hostname")} />
                <Field id="create-addresses" label="Addresses" value={f.addresses} onChange={set("addresses")}
                       placeholder="192.168.122.10/24" error={at("addresses")} />
                <Field id="create-gateway" label="Gateway" value={f.gateway} onChange={set("gateway")} error={at("gateway")} />
                <Field id="create-nameservers" label="DNS servers" value={f.nameservers} onChange={set("nameservers")} error={at("nameservers")} />
                <Checkbox id="create-start" label="Start now" isChecked={f.start} onChange={(_e, v) => set("start")(v)} />
                {error && !field && <InlineError error={error} />}
            </Form>
        </Modal>
    );
}
