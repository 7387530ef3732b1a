/* The page: who the caller is and what vmgrd lets them do
 * (Manager.GetPermissions), then the administrator's or the customer's
 * panel. Navigation is cockpit.location: [] the servers, [TAB], ["vm", ID]. */
import React, { useEffect, useState } from "react";
import {
    Alert, EmptyState, EmptyStateHeader, Page, PageSection, Spinner, Tab, TabTitleText, Tabs, Title,
} from "@patternfly/react-core";

import { Audit, Catalog, Customers, Overview } from "./admin.jsx";
import { A } from "./common.jsx";
import { Account, Contract } from "./customer.jsx";
import { Vmgr, describe } from "./dbus.js";
import { ServerList } from "./servers.jsx";
import { VmPage } from "./vm-page.jsx";

function usePath() {
    const [path, setPath] = useState(cockpit.location.path);
    useEffect(() => {
        const update = () => setPath(cockpit.location.path);
        cockpit.addEventListener("locationchanged", update);
        return () => cockpit.removeEventListener("locationchanged", update);
    }, []);
    return path;
}

function useCatalog(vmgr) {
    const [catalog, setCatalog] = useState({});
    const reload = () => Promise.all([vmgr.manager("ListTemplates", "", []), vmgr.manager("ListPlans", "", [])])
            .then(([[templates], [plans]]) => setCatalog({ templates, plans }))
            .catch(error => setCatalog(old => ({ ...old, error })));
    return [catalog, reload];
}

export function App() {
    const [vmgr] = useState(() => new Vmgr());
    const [rights, setRights] = useState(null);
    const [error, setError] = useState(null);
    const [catalog, reloadCatalog] = useCatalog(vmgr);
    const path = usePath();

    useEffect(() => {
        window.vmgr = vmgr; /* for the browser tests and the curious */
        Promise.all([cockpit.user(), vmgr.manager("GetPermissions", "", []), vmgr.start()])
                .then(([user, [actions]]) => {
                    const held = new Set(actions);
                    held.uid = user.id;
                    held.user = user.name;
                    setRights(held);
                })
                .catch(setError);
        reloadCatalog();
    }, [vmgr]); // eslint-disable-line react-hooks/exhaustive-deps

    if (error || vmgr.error)
        return (
            <Page><PageSection>
                <Alert variant="danger" title="vmgr is not available" id="vmgr-unavailable">{describe(error || vmgr.error)}</Alert>
            </PageSection></Page>
        );
    if (!rights)
        return <Page><PageSection><EmptyState><EmptyStateHeader titleText="Loading" icon={<Spinner />} /></EmptyState></PageSection></Page>;

    const admin = rights.has(A.VIEW_ANY);
    const props = { vmgr, rights, catalog, reload: reloadCatalog };
    const tabs = admin
        ? [["servers", "Servers", ServerList], ["overview", "Host", Overview],
            ["catalog", "Templates and plans", Catalog],
            rights.has(A.CUSTOMERS) && ["customers", "Customers", Customers],
            ["audit", "Audit log", Audit]]
        : [["servers", "My servers", ServerList], rights.has(A.CONTRACT) && ["contract", "Contract", Contract],
            ["account", "My account", Account]];
    const shown = tabs.filter(Boolean);
    const current = path[0] === "vm" ? null : shown.find(t => t[0] === path[0]) || shown[0];

    return (
        <Page id="vmgr-app" data-panel={admin ? "admin" : "customer"}>
            <PageSection variant="light" padding={{ default: "noPadding" }}>
                <Title headingLevel="h1" className="vmgr-title">
                    {admin ? "Virtual servers" : "My virtual servers"}
                    <small className="vmgr-whoami">signed in as {rights.user}</small>
                </Title>
                <Tabs activeKey={current ? current[0] : "servers"} id="vmgr-tabs"
                      onSelect={(_ev, key) => cockpit.location.go(key === "servers" ? [] : [key])}>
                    {shown.map(([key, label]) => <Tab key={key} eventKey={key} data-tab={key} title={<TabTitleText>{label}</TabTitleText>} />)}
                </Tabs>
            </PageSection>
            {path[0] === "vm"
                ? <VmPage vmgr={vmgr} rights={rights} id={path[1]} />
                : <PageSection>{React.createElement(current[2], props)}</PageSection>}
        </Page>
    );
}
