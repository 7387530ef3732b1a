/* One VM: its state, usage, graphs, the "Hardware" forms, snapshots,
 * lifecycle, delete and the console. */
import React, { useState } from "react";
import {
    ActionGroup, Breadcrumb, BreadcrumbItem, Button, Card, CardBody, CardTitle, Checkbox,
    DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm,
    Flex, Form, FormGroup, FormSelect, FormSelectOption, Gallery, PageSection, Title,
} from "@patternfly/react-core";

import {
    A, ConfirmDialog, Field, InlineError, JobProgress, LifecycleButtons, StateLabel, UsageBars, mayOn, useAction, useModel,
} from "./common.jsx";
import { Console } from "./console.jsx";
import { CUSTOMER, MANAGER, MANAGER_PATH, VM, fieldOfError } from "./dbus.js";
import { formatBytes, formatUptime, parseSize, sizeInput } from "./format.js";
import { Graphs } from "./graphs.jsx";
import { Snapshots, maySnapshot } from "./snapshots.jsx";

export function VmPage({ vmgr, rights, id }) {
    useModel(vmgr);
    const [deleting, setDeleting] = useState(false);
    const vm = vmgr.get(`/org/vmgr/vm/${id}`, VM);
    const back = () => cockpit.location.go([]);
    if (!vm)
        return (
            <PageSection>
                <Title headingLevel="h2">Server {id} does not exist</Title>
                <p>It was deleted, or it is not yours.</p>
                <Button variant="link" isInline onClick={back}>Back to the servers</Button>
            </PageSection>
        );
    const usage = vm.Usage || {};
    const configurable = rights.has(A.CONFIGURE);
    const manager = vmgr.get(MANAGER_PATH, MANAGER);
    const hasConsole = manager && (manager.Capabilities || []).includes("console");
    const consoleAllowed = hasConsole && mayOn(rights, vm, A.CONSOLE_OWN, A.CONSOLE_ANY);
    return (
        <PageSection id="vm-page" data-vm={vm.Name}>
            <Breadcrumb>
                <BreadcrumbItem><Button variant="link" isInline onClick={back}>Servers</Button></BreadcrumbItem>
                <BreadcrumbItem isActive>{vm.Name}</BreadcrumbItem>
            </Breadcrumb>
            <Flex alignItems={{ default: "alignItemsCenter" }} className="vmgr-vm-header">
                <Title headingLevel="h2" id="vm-title">{vm.Name}</Title>
                <StateLabel state={vm.State} />
                <LifecycleButtons vmgr={vmgr} rights={rights} vm={vm} />
                {rights.has(A.DELETE) &&
                    <Button id="vm-delete" variant="danger" size="sm" onClick={() => setDeleting(true)}>Delete</Button>}
            </Flex>
            <JobProgress vmgr={vmgr} path={vm.Job} />
            <Gallery hasGutter minWidths={{ default: "320px" }}>
                <Card>
                    <CardTitle>Status</CardTitle>
                    <CardBody>
                        <DescriptionList isCompact isHorizontal>
                            <Item term="Id">{vm.Id}</Item>
                            <Item term="Owner">{vm.OwnerName}</Item>
                            <Item term="Template">{vm.Template}</Item>
                            <Item term="Plan">{vm.Plan || "—"}</Item>
                            <Item term="Address">{(vm.Addresses || []).join(", ") || "—"}</Item>
                            <Item term="Memory" id="vm-memory-limit">{formatBytes(usage.memory_used || 0)} of {formatBytes(vm.MemoryLimit)}</Item>
                            <Item term="vCPUs">{vm.Vcpus}</Item>
                            <Item term="Uptime">{formatUptime(usage.uptime_s) || "—"}</Item>
                        </DescriptionList>
                        <UsageBars vm={vm} />
                    </CardBody>
                </Card>
                <Card>
                    <CardTitle>Usage over time</CardTitle>
                    <CardBody><Graphs vmgr={vmgr} vm={vm} /></CardBody>
                </Card>
            </Gallery>
            {configurable && <Hardware vmgr={vmgr} vm={vm} />}
            {maySnapshot(vmgr, rights, vm) && <Snapshots vmgr={vmgr} rights={rights} vm={vm} />}
            {consoleAllowed && vm.State === "running" && <Console vm={vm} />}
            {deleting &&
                <ConfirmDialog title={`Delete ${vm.Name}?`} action="Delete"
                               body={<p>The server and its disk are removed for good{isUp(vm.State) ? "; it is forced off first" : ""}.</p>}
                               onConfirm={async () => { await forceOffAndDelete(vmgr, vm); back() }}
                               onClose={() => setDeleting(false)} />}
        </PageSection>
    );
}

const UP_STATES = ["starting", "running", "paused", "stopping"];

function isUp(state) {
    return UP_STATES.includes(state);
}

/* vmgrd deletes only a VM that is down (as vmgrctl delete --force does). */
async function forceOffAndDelete(vmgr, vm) {
    if (isUp(vm.State)) {
        await vmgr.vm(vm.path, "Stop", "", []);
        await vmgr.waitForState(vm.path, "stopped");
    }
    await vmgr.vm(vm.path, "Delete", "", []);
}

function Item({ term, children, id }) {
    return (
        <DescriptionListGroup>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription id={id}>{children}</DescriptionListDescription>
        </DescriptionListGroup>
    );
}

/* One card of the Hardware panel: its own fields, Apply, and vmgrd's
 * error at the field it names. */
function SettingsCard({ title, id, fields, initial, apply, children }) {
    const [values, setValues] = useState(initial);
    const [done, setDone] = useState(false);
    const [submit, busy, error] = useAction(() => { setDone(false); return apply(values) }, () => setDone(true));
    const set = key => value => { setValues(old => ({ ...old, [key]: value })); setDone(false) };
    const field = fieldOfError(error, fields);
    const at = key => (field === key ? error : null);
    return (
        <Card id={id}>
            <CardTitle>{title}</CardTitle>
            <CardBody>
                <Form onSubmit={ev => { ev.preventDefault(); submit() }}>
                    {children({ values, set, at })}
                    {error && !field && <InlineError error={error} />}
                    <ActionGroup>
                        <Button variant="primary" type="submit" isLoading={busy} isDisabled={busy}>Apply</Button>
                        {done && <span className="vmgr-applied">Applied.</span>}
                    </ActionGroup>
                </Form>
            </CardBody>
        </Card>
    );
}

function size(key, text) {
    const n = parseSize(text);
    if (Number.isNaN(n))
        throw Object.assign(new Error(`${key} '${text}' is not a size (use e.g. 512M or 2G)`),
                            { name: "org.vmgr.Error.InvalidArgument" });
    return n;
}

function words(text) {
    return text.split(/[\s,]+/).filter(Boolean);
}

function Hardware({ vmgr, vm }) {
    const customers = vmgr.list(CUSTOMER).sort((a, b) => a.Uid - b.Uid);
    const call = (method, type, args) => vmgr.vm(vm.path, method, type, args);
    return (
        <>
            <Title headingLevel="h3" className="vmgr-section">Hardware</Title>
            <Gallery hasGutter minWidths={{ default: "320px" }} key={vm.path}>
                <SettingsCard title="Network" id="hw-network" fields={["hostname", "addresses", "gateway", "nameservers"]}
                              initial={{ hostname: vm.Hostname || "", addresses: (vm.Addresses || []).join(", "),
                                         gateway: vm.Gateway || "", nameservers: (vm.Nameservers || []).join(", ") }}
                              apply={v => call("SetNetwork", "a{sv}", [{
                                  hostname: { t: "s", v: v.hostname }, addresses: { t: "as", v: words(v.addresses) },
                                  gateway: { t: "s", v: v.gateway }, nameservers: { t: "as", v: words(v.nameservers) },
                              }])}>
                    {({ values, set, at }) => <>
                        <Field id="hw-hostname" label="Host name" value={values.hostname} onChange={set("hostname")} error={at("hostname")} />
                        <Field id="hw-addresses" label="Addresses" value={values.addresses} onChange={set("addresses")} error={at("addresses")} />
                        <Field id="hw-gateway" label="Gateway" value={values.gateway} onChange={set("gateway")} error={at("gateway")} />
                        <Field id="hw-nameservers" label="DNS servers" value={values.nameservers} onChange={set("nameservers")} error={at("nameservers")} />
                    </>}
                </SettingsCard>
                <SettingsCard title="Memory" id="hw-memory" fields={["memory_guarantee", "memory_soft_limit", "memory_limit", "memory"]}
                              initial={{ guarantee: sizeInput(vm.MemoryGuarantee), soft: sizeInput(vm.MemorySoftLimit), limit: sizeInput(vm.MemoryLimit) }}
                              apply={v => call("SetMemory", "ttt", [size("memory_guarantee", v.guarantee),
                                  size("memory_soft_limit", v.soft), size("memory_limit", v.limit)])}>
                    {({ values, set, at }) => <>
                        <Field id="hw-memory-guarantee" label="Guarantee" value={values.guarantee} onChange={set("guarantee")} error={at("memory_guarantee")} />
                        <Field id="hw-memory-soft" label="Soft limit" value={values.soft} onChange={set("soft")} error={at("memory_soft_limit")} />
                        <Field id="hw-memory-limit" label="Limit" value={values.limit} onChange={set("limit")} error={at("memory_limit") || at("memory")} />
                    </>}
                </SettingsCard>
                <SettingsCard title="Disk" id="hw-disk" fields={["disk_soft_limit", "disk_hard_limit", "disk"]}
                              initial={{ soft: sizeInput(vm.DiskSoftLimit), hard: sizeInput(vm.DiskHardLimit) }}
                              apply={v => call("SetDisk", "tt", [size("disk_soft_limit", v.soft), size("disk_hard_limit", v.hard)])}>
                    {({ values, set, at }) => <>
                        <Field id="hw-disk-soft" label="Soft limit" value={values.soft} onChange={set("soft")} error={at("disk_soft_limit")} />
                        <Field id="hw-disk-hard" label="Hard limit" value={values.hard} onChange={set("hard")} error={at("disk_hard_limit") || at("disk")} />
                    </>}
                </SettingsCard>
                <SettingsCard title="CPU" id="hw-cpu" fields={["vcpus", "cpu_weight", "cpu_limit", "cpu-limit"]}
                              initial={{ vcpus: String(vm.Vcpus), weight: String(vm.CpuWeight), limit: String(vm.CpuLimit) }}
                              apply={v => call("SetCpu", "uuu", [Number(v.vcpus), Number(v.weight), Number(v.limit)])}>
                    {({ values, set, at }) => <>
                        <Field id="hw-vcpus" label="vCPUs" value={values.vcpus} onChange={set("vcpus")} error={at("vcpus")} />
                        <Field id="hw-cpu-weight" label="Weight" value={values.weight} onChange={set("weight")} error={at("cpu_weight")} helper="1 to 10000; 100 is the default" />
                        <Field id="hw-cpu-limit" label="Cap (%)" value={values.limit} onChange={set("limit")} error={at("cpu_limit") || at("cpu-limit")} helper="percent of one host CPU; 0 = none" />
                    </>}
                </SettingsCard>
                <SettingsCard title="Start and owner" id="hw-owner" fields={["owner", "uid"]}
                              initial={{ autostart: vm.Autostart, owner: String(vm.Owner) }}
                              apply={async v => {
                                  if (v.autostart !== vm.Autostart)
                                      await call("SetAutostart", "b", [v.autostart]);
                                  if (Number(v.owner) !== vm.Owner)
                                      await call("SetOwner", "u", [Number(v.owner)]);
                              }}>
                    {({ values, set, at }) => <>
                        <Checkbox id="hw-autostart" label="Start with the host" isChecked={values.autostart}
                                  onChange={(_e, c) => set("autostart")(c)} />
                        <FormGroup label="Owner" fieldId="hw-owner-select">
                            <FormSelect id="hw-owner-select" value={values.owner} onChange={(_e, o) => set("owner")(o)}>
                                {!customers.some(c => c.Uid === vm.Owner) &&
                                    <FormSelectOption value={String(vm.Owner)} label={vm.OwnerName} />}
                                {customers.map(c => <FormSelectOption key={c.Uid} value={String(c.Uid)} label={`${c.UserName} — ${c.FullName}`} />)}
                            </FormSelect>
                            {(at("owner") || at("uid")) && <InlineError error={at("owner") || at("uid")} />}
                        </FormGroup>
                    </>}
                </SettingsCard>
            </Gallery>
        </>
    );
}
