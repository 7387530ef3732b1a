/* Administrator views: host overview, templates and plans, customers,
 * audit log. */
import React, { useEffect, useState } from "react";
import {
    Button, Card, CardBody, CardTitle, Flex, Form, FormGroup, FormSelect, FormSelectOption, Gallery,
    Label, Modal, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem,
} from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";

import { A, Bar, ConfirmDialog, Field, InlineError, useAction, useModel } from "./common.jsx";
import { CUSTOMER, VM, fieldOfError, variants } from "./dbus.js";
import { formatBytes, formatTime, parseSize, sizeInput } from "./format.js";

/* ---- Host overview ------------------------------------------------------ */

export function Overview({ vmgr }) {
    useModel(vmgr);
    const [info, setInfo] = useState(null);
    const [error, setError] = useState(null);
    const vms = vmgr.list(VM);
    /* Asked again when a VM appears, goes or changes state or size. */
    const key = vms.map(v => `${v.path}:${v.State}:${v.MemoryLimit}:${v.Vcpus}:${v.DiskHardLimit}`).join();
    useEffect(() => {
        vmgr.manager("GetHostInfo", "", []).then(([i]) => { setInfo(i); setError(null) })
                .catch(setError);
    }, [vmgr, key]);
    if (error)
        return <InlineError error={error} />;
    if (!info)
        return null;
    const v = k => (info[k] ? Number(info[k].v) : 0);
    const states = Object.keys(info).filter(k => k.startsWith("vms_") && v(k) > 0);
    return (
        <Gallery hasGutter minWidths={{ default: "300px" }} id="host-overview">
            <Card>
                <CardTitle>Host</CardTitle>
                <CardBody>
                    <p>{v("cpus")} CPUs {info.cpu_model ? `(${info.cpu_model.v})` : ""}</p>
                    <p>{formatBytes(v("memory_total"))} memory, {formatBytes(v("memory_free"))} free</p>
                    {info.disk_total && <p>{formatBytes(v("disk_total"))} disk, {formatBytes(v("disk_free"))} free</p>}
                </CardBody>
            </Card>
            <Card>
                <CardTitle>Allocated to servers</CardTitle>
                <CardBody>
                    <Bar label="vCPUs" used={v("allocated_vcpus")} total={v("capacity_vcpus")}
                         text={`${v("allocated_vcpus")} of ${v("capacity_vcpus")} vCPUs`} />
                    <Bar label="Memory" used={v("allocated_memory")} total={v("capacity_memory")}
                         text={`${formatBytes(v("allocated_memory"))} of ${formatBytes(v("capacity_memory"))}`} />
                    <Bar label="Disk" used={v("allocated_disk")} total={v("capacity_disk")}
                         text={`${formatBytes(v("allocated_disk"))} of ${formatBytes(v("capacity_disk"))}`} />
                </CardBody>
            </Card>
            <Card>
                <CardTitle>Servers</CardTitle>
                <CardBody>
                    <p id="host-vm-count">{v("vms")} servers</p>
                    <Flex>{states.map(k => <Label key={k}>{k.slice(4)}: {v(k)}</Label>)}</Flex>
                </CardBody>
            </Card>
        </Gallery>
    );
}

/* ---- Templates and plans ------------------------------------------------- */

const PLAN_KEYS = [
    ["memory_limit", "Memory limit", "t"], ["memory_soft_limit", "Memory soft limit", "t"],
    ["memory_guarantee", "Memory guarantee", "t"], ["disk_hard_limit", "Disk hard limit", "t"],
    ["disk_soft_limit", "Disk soft limit", "t"], ["vcpus", "vCPUs", "u"], ["cpu_weight", "CPU weight", "u"],
    ["cpu_limit", "CPU cap (%)", "u"], ["max_vms", "Servers at most", "u"],
];

export function Catalog({ vmgr, rights, catalog, reload }) {
    const [addingTemplate, setAddingTemplate] = useState(false);
    const [plan, setPlan] = useState(null);
    const [removing, setRemoving] = useState(null);
    const [error, setError] = useState(null);
    const templates = catalog.templates || [];
    const plans = catalog.plans || [];
    const val = (props, k) => (props[k] ? props[k].v : undefined);
    return (
        <>
            <InlineError error={error || catalog.error} />
            <Title headingLevel="h3">Templates</Title>
            {rights.has(A.TEMPLATES) &&
                <Button id="template-add" variant="secondary" onClick={() => setAddingTemplate(true)}>Add template</Button>}
            <Table id="template-list" aria-label="Templates" variant="compact">
                <Thead><Tr><Th>Name</Th><Th>OS</Th><Th>Description</Th><Th>Source</Th><Th>Servers</Th><Th screenReaderText="Actions" /></Tr></Thead>
                <Tbody>
                    {templates.map(([name, props]) => (
                        <Tr key={name} data-template={name}>
                            <Td>{name}</Td><Td>{val(props, "os")}</Td><Td>{val(props, "description")}</Td>
                            <Td>{val(props, "source")}</Td><Td>{val(props, "in_use")}</Td>
                            <Td>{rights.has(A.TEMPLATES) &&
                                <Button variant="link" isDanger size="sm" onClick={() =>
                                    setRemoving({ what: `template ${name}`, run: () => vmgr.manager("RemoveTemplate", "s", [name]) })}>Remove</Button>}</Td>
                        </Tr>
                    ))}
                </Tbody>
            </Table>
            <Title headingLevel="h3" className="vmgr-section">Plans</Title>
            {rights.has(A.PLANS) &&
                <Button id="plan-add" variant="secondary" onClick={() => setPlan({ name: "", props: {} })}>Add plan</Button>}
            <Table id="plan-list" aria-label="Plans" variant="compact">
                <Thead><Tr><Th>Name</Th><Th>Memory</Th><Th>Disk</Th><Th>vCPUs</Th><Th>Servers at most</Th><Th screenReaderText="Actions" /></Tr></Thead>
                <Tbody>
                    {plans.map(([name, props]) => (
                        <Tr key={name} data-plan={name}>
                            <Td>{name}</Td><Td>{formatBytes(val(props, "memory_limit"))}</Td>
                            <Td>{formatBytes(val(props, "disk_hard_limit"))}</Td><Td>{val(props, "vcpus")}</Td>
                            <Td>{val(props, "max_vms") || "—"}</Td>
                            <Td>{rights.has(A.PLANS) && <>
                                <Button variant="link" size="sm" onClick={() => setPlan({ name, props })}>Edit</Button>
                                <Button variant="link" isDanger size="sm" onClick={() =>
                                    setRemoving({ what: `plan ${name}`, run: () => vmgr.manager("RemovePlan", "s", [name]) })}>Remove</Button>
                            </>}</Td>
                        </Tr>
                    ))}
                </Tbody>
            </Table>
            {addingTemplate && <TemplateDialog vmgr={vmgr} onClose={() => { setAddingTemplate(false); reload() }} />}
            {plan && <PlanDialog vmgr={vmgr} plan={plan} onClose={() => { setPlan(null); reload() }} />}
            {removing &&
                <ConfirmDialog title={`Remove ${removing.what}?`} action="Remove" body={null}
                               onConfirm={() => removing.run().then(() => setError(null))}
                               onClose={() => { setRemoving(null); reload() }} />}
        </>
    );
}

function FormDialog({ id, title, fields, submit, onClose, children }) {
    const [run, busy, error] = useAction(submit, onClose);
    const field = fieldOfError(error, fields);
    return (
        <Modal id={id} title={title} variant="medium" isOpen onClose={onClose}
               actions={[
                   <Button key="ok" variant="primary" className="vmgr-dialog-submit" onClick={run} isLoading={busy} isDisabled={busy}>Save</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <Form isHorizontal onSubmit={ev => { ev.preventDefault(); run() }}>
                {children(key => (field === key ? error : null))}
                {error && !field && <InlineError error={error} />}
            </Form>
        </Modal>
    );
}

function TemplateDialog({ vmgr, onClose }) {
    const [f, setF] = useState({ name: "", os: "", description: "", source: "" });
    const set = k => v => setF(old => ({ ...old, [k]: v }));
    return (
        <FormDialog id="template-dialog" title="Add template" fields={["name", "os", "description", "source"]} onClose={onClose}
                    submit={() => vmgr.manager("AddTemplate", "sa{sv}", [f.name, variants({
                        os: ["s", f.os], description: ["s", f.description], source: ["s", f.source || undefined],
                    })])}>
            {at => <>
                <Field id="template-name" label="Name" value={f.name} onChange={set("name")} error={at("name")} isRequired />
                <Field id="template-os" label="OS" value={f.os} onChange={set("os")} error={at("os")} />
                <Field id="template-description" label="Description" value={f.description} onChange={set("description")} error={at("description")} />
                <Field id="template-source" label="Source" value={f.source} onChange={set("source")} error={at("source")}
                       helper="root filesystem directory (LXC) or disk image (QEMU); empty on the test driver" />
            </>}
        </FormDialog>
    );
}

function PlanDialog({ vmgr, plan, onClose }) {
    const initial = { name: plan.name };
    for (const [k, , t] of PLAN_KEYS)
        initial[k] = plan.props[k] ? (t === "t" ? sizeInput(plan.props[k].v) : String(plan.props[k].v)) : "";
    const [f, setF] = useState(initial);
    const set = k => v => setF(old => ({ ...old, [k]: v }));
    const submit = () => {
        const typed = {};
        for (const [k, , t] of PLAN_KEYS)
            if (f[k] !== "")
                typed[k] = [t, t === "t" ? parseSize(f[k]) : Number(f[k])];
        return vmgr.manager("SetPlan", "sa{sv}", [f.name, variants(typed)]);
    };
    return (
        <FormDialog id="plan-dialog" title={plan.name ? `Plan ${plan.name}` : "Add plan"} onClose={onClose} submit={submit}
                    fields={["name", ...PLAN_KEYS.map(k => k[0])]}>
            {at => <>
                <Field id="plan-name" label="Name" value={f.name} onChange={set("name")} error={at("name")} isRequired />
                {PLAN_KEYS.map(([k, label]) =>
                    <Field key={k} id={`plan-${k}`} label={label} value={f[k]} onChange={set(k)} error={at(k)} />)}
            </>}
        </FormDialog>
    );
}

/* ---- Customers ----------------------------------------------------------- */

const CUSTOMER_TEXT = [
    ["full_name", "Full name", "FullName", true], ["national_id", "National id", "NationalId", true],
    ["email", "Email", "Email", true], ["phone", "Phone", "Phone"], ["address", "Address", "Address"],
    ["province", "Province", "Province"],
];
const QUOTA = [["max_vms", "Servers at most", "u", "vms"], ["max_vcpus", "vCPUs at most", "u", "vcpus"],
    ["max_memory", "Memory at most", "t", "memory"], ["max_disk", "Disk at most", "t", "disk"]];

export function quotaText(quota, allocated, key, type) {
    const limit = quota ? quota[key] : 0;
    const used = allocated ? allocated[key] || 0 : 0;
    const show = n => (type === "t" ? formatBytes(n) : String(n));
    return limit ? `${show(used)} of ${show(limit)}` : `${show(used)} (no limit)`;
}

export function Customers({ vmgr, rights, catalog }) {
    useModel(vmgr);
    const [editing, setEditing] = useState(null);
    const [suspending, setSuspending] = useState(null);
    const [removing, setRemoving] = useState(null);
    const [errors, setErrors] = useState({});
    const customers = vmgr.list(CUSTOMER).sort((a, b) => a.Uid - b.Uid);
    const manage = rights.has(A.CUSTOMERS);
    const unsuspend = c => vmgr.call(c.path, CUSTOMER, "Unsuspend", "", [])
            .then(() => setErrors(e => ({ ...e, [c.path]: null })))
            .catch(ex => setErrors(e => ({ ...e, [c.path]: ex })));
    return (
        <>
            {manage && <Button id="customer-add" variant="primary" onClick={() => setEditing({})}>Add customer</Button>}
            <Table id="customer-list" aria-label="Customers" variant="compact">
                <Thead><Tr><Th>User</Th><Th>Name</Th><Th>Email</Th><Th>Plan</Th><Th>Servers</Th><Th>Memory</Th><Th>Disk</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
                <Tbody>
                    {customers.map(c => (
                        <Tr key={c.path} data-customer={c.UserName}>
                            <Td>{c.UserName} ({c.Uid})</Td><Td>{c.FullName}</Td><Td>{c.Email}</Td><Td>{c.Plan || "—"}</Td>
                            <Td>{quotaText(c.Quota, c.Allocated, "vms", "u")}</Td>
                            <Td>{quotaText(c.Quota, c.Allocated, "memory", "t")}</Td>
                            <Td>{quotaText(c.Quota, c.Allocated, "disk", "t")}</Td>
                            <Td>{c.Suspended ? <Label color="orange" title={c.SuspendReason}>suspended: {c.SuspendReason}</Label> : <Label color="green">active</Label>}</Td>
                            <Td>{manage && <>
                                <Button variant="link" size="sm" onClick={() => setEditing(c)}>Edit</Button>
                                {c.Suspended
                                    ? <Button variant="link" size="sm" onClick={() => unsuspend(c)}>Unsuspend</Button>
                                    : <Button variant="link" size="sm" onClick={() => setSuspending(c)}>Suspend</Button>}
                                <Button variant="link" size="sm" isDanger onClick={() => setRemoving(c)}>Remove</Button>
                                <InlineError error={errors[c.path]} />
                            </>}</Td>
                        </Tr>
                    ))}
                </Tbody>
            </Table>
            {editing && <CustomerDialog vmgr={vmgr} customer={editing} catalog={catalog} onClose={() => setEditing(null)} />}
            {suspending && <SuspendDialog vmgr={vmgr} customer={suspending} onClose={() => setSuspending(null)} />}
            {removing &&
                <ConfirmDialog title={`Remove customer ${removing.UserName}?`} action="Remove"
                               body={<p>The Unix user stays; vmgr forgets the customer's record.</p>}
                               onConfirm={() => vmgr.call(removing.path, CUSTOMER, "Remove", "", [])}
                               onClose={() => setRemoving(null)} />}
        </>
    );
}

function CustomerDialog({ vmgr, customer, catalog, onClose }) {
    const adding = !customer.path;
    const initial = { uid: "", plan: customer.Plan || "" };
    for (const [k, , prop] of CUSTOMER_TEXT)
        initial[k] = customer[prop] || "";
    for (const [k, , t, quotaKey] of QUOTA) {
        const n = customer.Quota ? customer.Quota[quotaKey] : 0;
        initial[k] = n ? (t === "t" ? sizeInput(n) : String(n)) : "";
    }
    const [f, setF] = useState(initial);
    const set = k => v => setF(old => ({ ...old, [k]: v }));
    const info = () => {
        const typed = { plan: ["s", f.plan] };
        for (const [k] of CUSTOMER_TEXT)
            typed[k] = ["s", f[k]];
        for (const [k, , t] of QUOTA)
            if (f[k] !== "")
                typed[k] = [t, t === "t" ? parseSize(f[k]) : Number(f[k])];
        return variants(typed);
    };
    const submit = () => (adding
        ? vmgr.manager("AddCustomer", "ua{sv}", [Number(f.uid), info()])
        : vmgr.call(customer.path, CUSTOMER, "Update", "a{sv}", [info()]));
    const fields = ["uid", "plan", ...CUSTOMER_TEXT.map(k => k[0]), ...QUOTA.map(k => k[0])];
    return (
        <FormDialog id="customer-dialog" title={adding ? "Add customer" : `Customer ${customer.UserName}`}
                    fields={fields} submit={submit} onClose={onClose}>
            {at => <>
                {adding && <Field id="customer-uid" label="Unix user id" value={f.uid} onChange={set("uid")} error={at("uid")} isRequired />}
                {CUSTOMER_TEXT.map(([k, label, , required]) =>
                    <Field key={k} id={`customer-${k}`} label={label} value={f[k]} onChange={set(k)} error={at(k)} isRequired={required} />)}
                <FormGroup label="Plan" fieldId="customer-plan">
                    <FormSelect id="customer-plan" value={f.plan} onChange={(_e, v) => set("plan")(v)}>
                        <FormSelectOption value="" label="None" />
                        {(catalog.plans || []).map(([name]) => <FormSelectOption key={name} value={name} label={name} />)}
                    </FormSelect>
                    {at("plan") && <InlineError error={at("plan")} />}
                </FormGroup>
                {QUOTA.map(([k, label]) =>
                    <Field key={k} id={`customer-${k}`} label={label} value={f[k]} onChange={set(k)} error={at(k)} placeholder="no limit" />)}
            </>}
        </FormDialog>
    );
}

function SuspendDialog({ vmgr, customer, onClose }) {
    const [reason, setReason] = useState("");
    return (
        <FormDialog id="suspend-dialog" title={`Suspend ${customer.UserName}`} fields={["reason"]} onClose={onClose}
                    submit={() => vmgr.call(customer.path, CUSTOMER, "Suspend", "s", [reason])}>
            {at => <Field id="suspend-reason" label="Reason" value={reason} onChange={setReason} error={at("reason")} isRequired />}
        </FormDialog>
    );
}

/* ---- Audit log ----------------------------------------------------------- */

function usecOf(local) {
    return local ? new Date(local).getTime() * 1000 : undefined;
}

export function Audit({ vmgr }) {
    const [filter, setFilter] = useState({ user: "", target: "", since: "", until: "", limit: "200" });
    const [entries, setEntries] = useState([]);
    const [error, setError] = useState(null);
    const set = k => v => setFilter(old => ({ ...old, [k]: v }));
    const query = () => {
        const typed = {
            uid: ["u", filter.user !== "" ? Number(filter.user) : undefined],
            target: ["s", filter.target || undefined],
            since: ["x", usecOf(filter.since)],
            until: ["x", usecOf(filter.until)],
            limit: ["u", filter.limit ? Number(filter.limit) : undefined],
        };
        vmgr.manager("QueryAudit", "a{sv}", [variants(typed)])
                .then(([rows]) => { setEntries(rows); setError(null) })
                .catch(setError);
    };
    useEffect(query, []); // eslint-disable-line react-hooks/exhaustive-deps
    return (
        <>
            <Toolbar>
                <ToolbarContent>
                    <ToolbarItem><TextInput id="audit-uid" aria-label="User id" placeholder="user id" value={filter.user} onChange={(_e, v) => set("user")(v)} /></ToolbarItem>
                    <ToolbarItem><TextInput id="audit-target" aria-label="Target" placeholder="target, e.g. /org/vmgr/vm/101" value={filter.target} onChange={(_e, v) => set("target")(v)} /></ToolbarItem>
                    <ToolbarItem><TextInput id="audit-since" aria-label="Since" type="datetime-local" value={filter.since} onChange={(_e, v) => set("since")(v)} /></ToolbarItem>
                    <ToolbarItem><TextInput id="audit-until" aria-label="Until" type="datetime-local" value={filter.until} onChange={(_e, v) => set("until")(v)} /></ToolbarItem>
                    <ToolbarItem><TextInput id="audit-limit" aria-label="At most" value={filter.limit} onChange={(_e, v) => set("limit")(v)} /></ToolbarItem>
                    <ToolbarItem><Button id="audit-query" onClick={query}>Show</Button></ToolbarItem>
                </ToolbarContent>
            </Toolbar>
            <InlineError error={error} />
            <Table id="audit-list" aria-label="Audit log" variant="compact">
                <Thead><Tr><Th>Time</Th><Th>User</Th><Th>Action</Th><Th>Target</Th><Th>Result</Th><Th>Message</Th></Tr></Thead>
                <Tbody>
                    {entries.map(([time, uid, name, action, target, result, message], i) => (
                        <Tr key={i}>
                            <Td>{formatTime(time)}</Td><Td>{name} ({uid})</Td><Td>{action}</Td><Td>{target}</Td>
                            <Td><Label color={result === "allowed" ? "green" : result === "denied" ? "red" : "orange"}>{result}</Label></Td>
                            <Td>{message}</Td>
                        </Tr>
                    ))}
                </Tbody>
            </Table>
        </>
    );
}
