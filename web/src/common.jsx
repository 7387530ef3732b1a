/* Pieces every view uses: the model hook, state labels, usage bars,
 * lifecycle buttons, inline errors and forms whose errors land at their
 * field. */
import React, { useEffect, useReducer, useState } from "react";
import {
    Alert, Button, Flex, FormGroup, FormHelperText, HelperText, HelperTextItem,
    Label, Modal, Progress, ProgressMeasureLocation, ProgressSize, TextInput,
} from "@patternfly/react-core";

import { MANAGER, MANAGER_PATH, describe, errorKind } from "./dbus.js";
import { formatBytes, percent } from "./format.js";

export const A = {
    VIEW_OWN: "org.vmgr.vm.view-own",
    VIEW_ANY: "org.vmgr.vm.view-any",
    CONTROL_OWN: "org.vmgr.vm.control-own",
    CONTROL_ANY: "org.vmgr.vm.control-any",
    CONSOLE_OWN: "org.vmgr.vm.console-own",
    CONSOLE_ANY: "org.vmgr.vm.console-any",
    SNAPSHOT_OWN: "org.vmgr.vm.snapshot-own",
    SNAPSHOT_ANY: "org.vmgr.vm.snapshot-any",
    CONFIGURE: "org.vmgr.vm.configure",
    CREATE: "org.vmgr.vm.create",
    DELETE: "org.vmgr.vm.delete",
    CONTRACT: "org.vmgr.contract",
    TEMPLATES: "org.vmgr.templates.manage",
    PLANS: "org.vmgr.plans.manage",
    CUSTOMERS: "org.vmgr.customers.manage",
    AUDIT: "org.vmgr.audit.read",
};

/* Re-renders on every change of the model. */
export function useModel(vmgr) {
    const [, bump] = useReducer(x => x + 1, 0);
    useEffect(() => vmgr.subscribe(bump), [vmgr]);
    return vmgr.generation;
}

/* What the caller may do to a VM, from its rights and ownership. */
export function mayOn(rights, vm, own, any) {
    const mine = vm && vm.Owner === rights.uid;
    return (mine && own && rights.has(own)) || rights.has(any);
}

const STATE_COLORS = {
    running: "green", stopped: "grey", paused: "orange", crashed: "red",
    provisioning: "blue", starting: "blue", stopping: "blue", suspended: "orange", unknown: "red",
};

export function StateLabel({ state }) {
    return <Label className="vmgr-state" data-state={state} color={STATE_COLORS[state] || "grey"}>{state}</Label>;
}

export function Bar({ label, used, total, text }) {
    const value = percent(used, total);
    return (
        <Progress className="vmgr-bar" aria-label={label} value={value}
                  size={ProgressSize.sm} measureLocation={ProgressMeasureLocation.outside}
                  label={text !== undefined ? text : `${Math.round(value)}%`} />
    );
}

export function UsageBars({ vm }) {
    const usage = vm.Usage || {};
    const cpu = Number(usage.cpu_percent || 0);
    return (
        <div className="vmgr-bars" data-vm={vm.Name}>
            <Bar label="CPU" used={cpu} total={100 * (vm.Vcpus || 1)} text={`CPU ${cpu.toFixed(0)}%`} />
            <Bar label="Memory" used={usage.memory_used || 0} total={vm.MemoryLimit}
                 text={`${formatBytes(usage.memory_used || 0)} / ${formatBytes(vm.MemoryLimit)}`} />
            <Bar label="Disk" used={usage.disk_used || 0} total={vm.DiskHardLimit}
                 text={`${formatBytes(usage.disk_used || 0)} / ${formatBytes(vm.DiskHardLimit)}`} />
        </div>
    );
}

export function InlineError({ error, onClose }) {
    if (!error)
        return null;
    return (
        <Alert isInline isPlain variant={errorKind(error) === "QuotaExceeded" ? "warning" : "danger"}
               className="vmgr-error" title={describe(error)}
               actionClose={onClose ? <Button variant="plain" onClick={onClose}>×</Button> : undefined} />
    );
}

/* A saved VM (Save: state suspended, reason saved) is restored by Start;
 * Stop throws its saved state away. @label is a string or a function of
 * the VM; @needs a Manager capability; @admin steps are left out of the
 * compact rows of the list. */
const LIFECYCLE = [
    { verb: "Start", from: ["stopped", "crashed", "suspended"], variant: "primary",
      label: vm => (saved(vm) ? "Restore" : "Start") },
    { verb: "Resume", from: ["paused"], variant: "primary", admin: true },
    { verb: "Shutdown", label: "Shut down", from: ["running"], variant: "secondary", args: ["u", [0]] },
    { verb: "Restart", from: ["running"], variant: "secondary" },
    { verb: "Suspend", label: "Pause", from: ["running"], variant: "secondary", admin: true },
    { verb: "Save", from: ["running", "paused"], variant: "secondary", admin: true, needs: "save" },
    { verb: "Stop", from: ["running", "paused", "suspended"], variant: "danger",
      label: vm => (saved(vm) ? "Discard saved state" : "Force off") },
];

function saved(vm) {
    return vm.State === "suspended" && vm.StateReason === "saved";
}

function labelOf(step, vm) {
    const label = typeof step.label === "function" ? step.label(vm) : step.label;
    return label || step.verb;
}

/* The lifecycle buttons the caller may use in the VM's state; an error
 * shows below them. */
export function LifecycleButtons({ vmgr, rights, vm, compact }) {
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(null);
    if (!mayOn(rights, vm, A.CONTROL_OWN, A.CONTROL_ANY))
        return null;
    const run = async (step) => {
        setBusy(step.verb);
        setError(null);
        try {
            const [type, args] = step.args || ["", []];
            await vmgr.vm(vm.path, step.verb, type, args);
        } catch (ex) {
            setError(ex);
        }
        setBusy(null);
    };
    const manager = vmgr.get(MANAGER_PATH, MANAGER);
    const capabilities = (manager && manager.Capabilities) || [];
    const steps = LIFECYCLE.filter(s => s.from.includes(vm.State) && (!s.admin || !compact) &&
                                        (!s.needs || capabilities.includes(s.needs)));
    return (
        <div className="vmgr-lifecycle">
            <Flex spaceItems={{ default: "spaceItemsSm" }}>
                {steps.map(s => (
                    <Button key={s.verb} size="sm" variant={s.variant} isDisabled={busy !== null}
                            isLoading={busy === s.verb} data-action={s.verb}
                            onClick={() => run(s)}>{labelOf(s, vm)}</Button>
                ))}
            </Flex>
            <InlineError error={error} onClose={() => setError(null)} />
        </div>
    );
}

/* A text field whose vmgrd error is shown under it. */
export function Field({ id, label, value, onChange, error, helper, type, isRequired, placeholder }) {
    return (
        <FormGroup label={label} fieldId={id} isRequired={isRequired}>
            <TextInput id={id} value={value} type={type || "text"} placeholder={placeholder}
                       validated={error ? "error" : "default"}
                       onChange={(_ev, v) => onChange(v)} />
            {(error || helper) &&
                <FormHelperText>
                    <HelperText>
                        <HelperTextItem variant={error ? "error" : "default"} className={error ? "vmgr-field-error" : ""}>
                            {error ? describe(error) : helper}
                        </HelperTextItem>
                    </HelperText>
                </FormHelperText>}
        </FormGroup>
    );
}

/* Runs @action (async) once at a time: [run, busy, error]. The error
 * stays until the next run; @done follows a success. */
export function useAction(action, done) {
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const run = async () => {
        setBusy(true);
        setError(null);
        try {
            await action();
        } catch (ex) {
            setError(ex);
            setBusy(false);
            return;
        }
        setBusy(false);
        if (done)
            done();
    };
    return [run, busy, error];
}

/* A confirmation dialog for something that cannot be undone. */
export function ConfirmDialog({ title, body, action, onConfirm, onClose }) {
    const [confirm, busy, error] = useAction(onConfirm, onClose);
    return (
        <Modal variant="small" title={title} isOpen onClose={onClose} titleIconVariant="warning"
               actions={[
                   <Button key="ok" variant="danger" onClick={confirm} isLoading={busy} isDisabled={busy}>{action}</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            {body}
            <InlineError error={error} />
        </Modal>
    );
}

/* A job's progress with its Cancel button, which says "Cancelling…" once
 * vmgrd has accepted the Cancel (the job ends when its work next looks). */
export function JobProgress({ vmgr, path }) {
    const [error, setError] = useState(null);
    const [cancelled, setCancelled] = useState(null);
    const job = path && path !== "/" ? vmgr.get(path, "org.vmgr.Job") : null;
    if (!job)
        return null;
    const cancelling = cancelled === path;
    return (
        <div className="vmgr-job" data-job={path}>
            <Progress value={100 * (job.Progress || 0)} title={`${job.Operation || "job"} in progress`} size={ProgressSize.sm} />
            {job.Cancellable &&
                <Button variant="link" size="sm" className="vmgr-job-cancel" isDisabled={cancelling} onClick={() =>
                    vmgr.call(path, "org.vmgr.Job", "Cancel", "", []).then(() => setCancelled(path), setError)}>
                    {cancelling ? "Cancelling…" : "Cancel"}
                </Button>}
            <InlineError error={error} />
        </div>
    );
}
