/* A VM's snapshots: the ObjectManager's org.vmgr.Snapshot objects of the
 * VM (they appear and go with its signals), taking one with a name and a
 * description, reverting to or deleting one after a confirmation. */
import React, { useState } from "react";
import { Button, Flex, Form, Modal, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";

import { A, ConfirmDialog, Field, InlineError, StateLabel, mayOn, useAction, useModel } from "./common.jsx";
import { CUSTOMER, MANAGER, MANAGER_PATH, SNAPSHOT, errorKind, fieldOfError, variants } from "./dbus.js";
import { formatTime } from "./format.js";

/* Whether the page shows the Snapshots section of @vm: the backend has
 * snapshots and the caller may take them (snapshot-own on her own VM, or
 * snapshot-any). */
export function maySnapshot(vmgr, rights, vm) {
    const manager = vmgr.get(MANAGER_PATH, MANAGER);
    const capable = manager && (manager.Capabilities || []).includes("snapshots");
    return capable && mayOn(rights, vm, A.SNAPSHOT_OWN, A.SNAPSHOT_ANY);
}

function snapshotName(path) {
    return path && path !== "/" ? path.slice(path.lastIndexOf("/") + 1) : "";
}

export function Snapshots({ vmgr, rights, vm }) {
    useModel(vmgr);
    const [taking, setTaking] = useState(false);
    const [reverting, setReverting] = useState(null);
    const [deleting, setDeleting] = useState(null);
    const snapshots = vmgr.list(SNAPSHOT).filter(s => s.VM === vm.path)
            .sort((a, b) => Number(a.CreationTime) - Number(b.CreationTime) || a.Name.localeCompare(b.Name));
    const me = vmgr.get(`/org/vmgr/customer/${rights.uid}`, CUSTOMER);
    /* A customer's quota counts the snapshots of all her VMs, which are
     * all she sees. */
    const quota = !rights.has(A.SNAPSHOT_ANY) && me && me.MaxSnapshots > 0
        ? `${vmgr.list(SNAPSHOT).length} of ${me.MaxSnapshots} snapshots of your servers`
        : null;
    return (
        <div id="vm-snapshots">
            <Flex alignItems={{ default: "alignItemsCenter" }} className="vmgr-section">
                <Title headingLevel="h3">Snapshots</Title>
                <Button id="snapshot-take" variant="secondary" size="sm" onClick={() => setTaking(true)}>Take snapshot</Button>
                {quota && <span id="snapshot-quota">{quota}</span>}
            </Flex>
            {snapshots.length === 0
                ? <p id="snapshot-none">No snapshots yet.</p>
                : <Table id="snapshot-list" aria-label="Snapshots" variant="compact">
                    <Thead>
                        <Tr>
                            <Th>Name</Th><Th>Created</Th><Th>Captured state</Th><Th>Description</Th><Th>Parent</Th>
                            <Th screenReaderText="Actions" />
                        </Tr>
                    </Thead>
                    <Tbody>
                        {snapshots.map(s => (
                            <Tr key={s.path} data-snapshot={s.Name} className="vmgr-snapshot-row">
                                <Td dataLabel="Name">{s.Name}</Td>
                                <Td dataLabel="Created">{formatTime(s.CreationTime)}</Td>
                                <Td dataLabel="Captured state"><StateLabel state={s.State} /></Td>
                                <Td dataLabel="Description">{s.Description || "—"}</Td>
                                <Td dataLabel="Parent">{snapshotName(s.Parent) || "—"}</Td>
                                <Td dataLabel="Actions">
                                    <Flex spaceItems={{ default: "spaceItemsSm" }}>
                                        <Button size="sm" variant="secondary" data-action="Revert"
                                                onClick={() => setReverting(s)}>Revert</Button>
                                        <Button size="sm" variant="danger" data-action="Delete"
                                                onClick={() => setDeleting(s)}>Delete</Button>
                                    </Flex>
                                </Td>
                            </Tr>
                        ))}
                    </Tbody>
                </Table>}
            {taking && <TakeDialog vmgr={vmgr} vm={vm} onClose={() => setTaking(false)} />}
            {reverting &&
                <ConfirmDialog title={`Revert ${vm.Name} to ${reverting.Name}?`} action="Revert"
                               body={<p>{vm.Name} goes back to how it was on {formatTime(reverting.CreationTime)},
                                   {" "}{reverting.State}; what changed since then is lost. The snapshot stays.</p>}
                               onConfirm={() => vmgr.call(reverting.path, SNAPSHOT, "Revert", "", [])}
                               onClose={() => setReverting(null)} />}
            {deleting &&
                <ConfirmDialog title={`Delete snapshot ${deleting.Name}?`} action="Delete"
                               body={<p>The snapshot is removed for good; the server is not changed.</p>}
                               onConfirm={() => vmgr.call(deleting.path, SNAPSHOT, "Delete", "", [])}
                               onClose={() => setDeleting(null)} />}
        </div>
    );
}

function TakeDialog({ vmgr, vm, onClose }) {
    const [f, setF] = useState({ name: "", description: "" });
    const [submit, busy, error] = useAction(() =>
        vmgr.vm(vm.path, "CreateSnapshot", "sa{sv}",
                [f.name, variants({ description: ["s", f.description || undefined] })]), onClose);
    const set = key => value => setF(old => ({ ...old, [key]: value }));
    /* "already has a snapshot 'x'" is about the name too. */
    const field = errorKind(error) === "AlreadyExists" ? "name" : fieldOfError(error, ["name", "description"]);
    const at = key => (field === key ? error : null);
    return (
        <Modal id="snapshot-dialog" title={`Take a snapshot of ${vm.Name}`} variant="small" isOpen onClose={onClose}
               actions={[
                   <Button key="take" id="snapshot-submit" variant="primary" onClick={submit} isLoading={busy} isDisabled={busy}>Take snapshot</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <Form onSubmit={ev => { ev.preventDefault(); submit() }}>
                <Field id="snapshot-name" label="Name" value={f.name} onChange={set("name")} error={at("name")} isRequired
                       helper="letters, digits or _, up to 63" />
                <Field id="snapshot-description" label="Description" value={f.description} onChange={set("description")}
                       error={at("description")} />
                <p>{vm.State === "running" || vm.State === "paused"
                    ? "Its disk and its memory are kept: a revert brings it back where it was."
                    : "Its disk is kept."}</p>
                {error && !field && <InlineError error={error} />}
            </Form>
        </Modal>
    );
}
