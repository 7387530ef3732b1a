/* Customer views: contracting a plan within the quota, and the
 * customer's own record. Their servers are the shared server list. */
import React, { useEffect, useState } from "react";
import {
    ActionGroup, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, Form, FormGroup, FormSelect, FormSelectOption, Label,
} from "@patternfly/react-core";

import { quotaText } from "./admin.jsx";
import { Field, InlineError, useAction, useModel } from "./common.jsx";
import { CUSTOMER, fieldOfError } from "./dbus.js";
import { formatBytes, vmIdOfPath } from "./format.js";

function ownRecord(vmgr, rights) {
    return vmgr.get(`/org/vmgr/customer/${rights.uid}`, CUSTOMER);
}

export function Contract({ vmgr, rights, catalog }) {
    useModel(vmgr);
    const me = ownRecord(vmgr, rights);
    const plans = catalog.plans || [];
    const templates = catalog.templates || [];
    const [f, setF] = useState({ plan: "", template: "", name: "" });
    const [submit, busy, error] = useAction(async () => {
        const [path] = await vmgr.manager("Contract", "sss", [f.plan, f.template, f.name]);
        cockpit.location.go(["vm", vmIdOfPath(path)]);
    });
    useEffect(() => {
        setF(old => ({
            ...old,
            plan: old.plan || (me && me.Plan) || (plans[0] ? plans[0][0] : ""),
            template: old.template || (templates[0] ? templates[0][0] : ""),
        }));
    }, [plans.length, templates.length, me && me.Plan]); // eslint-disable-line react-hooks/exhaustive-deps
    const set = k => v => setF(old => ({ ...old, [k]: v }));
    const field = fieldOfError(error, ["name", "plan", "template"]);
    const plan = plans.find(([name]) => name === f.plan);
    const pv = k => (plan && plan[1][k] ? plan[1][k].v : 0);

    return (
        <Card id="contract">
            <CardTitle>Contract a server</CardTitle>
            <CardBody>
                {me
                    ? <p id="contract-quota">
                        Your quota: servers {quotaText(me.Quota, me.Allocated, "vms", "u")},
                        memory {quotaText(me.Quota, me.Allocated, "memory", "t")},
                        disk {quotaText(me.Quota, me.Allocated, "disk", "t")}.
                        {me.Suspended && <Label color="orange"> Your account is suspended: {me.SuspendReason}</Label>}
                    </p>
                    : <p>You are not a registered customer; ask the administrator to register you.</p>}
                <Form isHorizontal onSubmit={ev => { ev.preventDefault(); submit() }}>
                    <FormGroup label="Plan" fieldId="contract-plan">
                        <FormSelect id="contract-plan" value={f.plan} onChange={(_e, v) => set("plan")(v)}>
                            {plans.map(([name]) => <FormSelectOption key={name} value={name} label={name} />)}
                        </FormSelect>
                        {plan && <p className="vmgr-plan-summary">{formatBytes(pv("memory_limit"))} memory,
                            {" "}{formatBytes(pv("disk_hard_limit"))} disk, {pv("vcpus") || 1} vCPU</p>}
                        {field === "plan" && <InlineError error={error} />}
                    </FormGroup>
                    <FormGroup label="Operating system" fieldId="contract-template">
                        <FormSelect id="contract-template" value={f.template} onChange={(_e, v) => set("template")(v)}>
                            {templates.map(([name, props]) => <FormSelectOption key={name} value={name} label={`${name} (${props.os ? props.os.v : ""})`} />)}
                        </FormSelect>
                        {field === "template" && <InlineError error={error} />}
                    </FormGroup>
                    <Field id="contract-name" label="Server name" value={f.name} onChange={set("name")} error={field === "name" ? error : null} isRequired />
                    {error && field !== "name" && field !== "plan" && field !== "template" && <InlineError error={error} />}
                    <ActionGroup>
                        <Button id="contract-submit" variant="primary" type="submit" isLoading={busy} isDisabled={busy}>Contract</Button>
                    </ActionGroup>
                </Form>
            </CardBody>
        </Card>
    );
}

export function Account({ vmgr, rights }) {
    useModel(vmgr);
    const me = ownRecord(vmgr, rights);
    if (!me)
        return <p>You are not a registered customer.</p>;
    const rows = [["User", `${me.UserName} (${me.Uid})`], ["Full name", me.FullName], ["National id", me.NationalId],
        ["Email", me.Email], ["Phone", me.Phone], ["Address", me.Address], ["Province", me.Province],
        ["Plan", me.Plan || "—"], ["Servers", quotaText(me.Quota, me.Allocated, "vms", "u")],
        ["vCPUs", quotaText(me.Quota, me.Allocated, "vcpus", "u")],
        ["Memory", quotaText(me.Quota, me.Allocated, "memory", "t")],
        ["Disk", quotaText(me.Quota, me.Allocated, "disk", "t")],
        ["Status", me.Suspended ? `suspended: ${me.SuspendReason}` : "active"]];
    return (
        <Card id="account">
            <CardTitle>Your customer record</CardTitle>
            <CardBody>
                <DescriptionList isHorizontal isCompact>
                    {rows.map(([term, value]) => (
                        <DescriptionListGroup key={term}>
                            <DescriptionListTerm>{term}</DescriptionListTerm>
                            <DescriptionListDescription>{value}</DescriptionListDescription>
                        </DescriptionListGroup>
                    ))}
                </DescriptionList>
                <Button variant="link" isInline onClick={() => cockpit.location.go(["contract"])}>Contract another server</Button>
            </CardBody>
        </Card>
    );
}
