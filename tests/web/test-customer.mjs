// The customer's panel in a real browser, as alice (group vmgr-customer)
// through cockpit-ws: only her own servers, in the page and in every
// answer the page received; starting one shows the change without a
// reload; no administrator controls, and a call forged from the page is
// refused by vmgrd; snapshots of her own server within her snapshot
// quota, over it refused with the quota message; save and restore;
// contracting within the quota works, over it is refused with the quota
// message.
import { URL, assert, gdbus, property, run, snapshotExists, vmExists, vmPath } from "./browser.mjs";

/* What the page must never have seen of bob's VM. */
function bobTraces() {
    const path = vmPath("bob-secret");
    return ["bob-secret", `${path}"`, `${path}/`];
}

/* A method called from the page's own context through its cockpit.dbus
 * connection (as alice): the error's name and message, or "ok". */
function forge(page, path, iface, method, type, args) {
    return page.evaluate(([p, i, m, t, a]) => new Promise(resolve => {
        window.vmgr.client.call(p, i, m, a, { type: t })
                .then(() => resolve("ok"), ex => resolve(`${ex.name}: ${ex.message}`));
    }), [path, iface, method, type, args]);
}

run(import.meta.url, [
    ["only-own-servers", async ({ open }) => {
        const page = await open(URL.alice);
        assert(await page.getAttribute("#vmgr-app", "data-panel") === "customer", "the customer panel is shown");
        await page.waitForSelector('#vm-list [data-vm="alice-web"]');
        const rows = await page.$$eval("#vm-list .vmgr-vm-row", r => r.map(x => x.dataset.vm));
        assert(rows.length === 1 && rows[0] === "alice-web", `only alice-web listed: ${rows}`);
        /* Let a few samples of bob's running VM happen meanwhile. */
        await page.waitForTimeout(2500);
        const seen = page.received.join("\n");
        assert(page.received.length > 5, "the page received answers");
        assert(/alice-web/.test(seen), "alice-web is in what the page received");
        for (const trace of bobTraces())
            assert(!seen.includes(trace), `the page never received ${trace}`);
    }],

    ["start-shows-state-live", async ({ open }) => {
        const page = await open(URL.alice);
        const row = '#vm-list [data-vm="alice-web"]';
        await page.waitForSelector(`${row} .vmgr-state[data-state="stopped"]`);
        await page.evaluate(() => { window.notReloaded = true });
        await page.click(`${row} button[data-action="Start"]`);
        await page.waitForSelector(`${row} .vmgr-state[data-state="running"]`);
        assert(await page.evaluate(() => window.notReloaded === true), "the page was not reloaded");
        assert(/'running'/.test(property(vmPath("alice-web"), "org.vmgr.VM", "State")), "vmgrd says running");
        /* Live usage reaches the bars. */
        await page.waitForFunction(r => /64 MiB \/ 64 MiB/.test(document.querySelector(r).innerText), row);
        const seen = page.received.join("\n");
        for (const trace of bobTraces())
            assert(!seen.includes(trace), `still nothing of ${trace}`);
    }],

    ["no-admin-controls-and-forged-calls-refused", async ({ open }) => {
        const page = await open(URL.alice);
        await page.waitForSelector('#vm-list [data-vm="alice-web"]');
        assert(await page.$("[data-tab=servers]") && await page.$("[data-tab=contract]"), "the selectors find her tabs");
        for (const sel of ["#create-vm", "[data-tab=customers]", "[data-tab=audit]", "[data-tab=overview]", "[data-tab=catalog]", "#vm-filter-owner"])
            assert(!(await page.$(sel)), `no ${sel}`);
        const alicePath = vmPath("alice-web");
        await page.evaluate(id => { window.location.hash = `#/vm/${id}` }, alicePath.split("/").pop());
        await page.waitForSelector("#vm-page");
        assert(!(await page.$("#hw-memory")) && !(await page.$("#vm-delete")), "no Hardware forms, no Delete");

        const create = await forge(page, "/org/vmgr/Manager", "org.vmgr.Manager", "CreateVM", "sssa{sv}",
                                   ["forged", "debian-12", "basic", {}]);
        assert(/^org\.vmgr\.Error\.NotAuthorized/.test(create), `CreateVM refused: ${create}`);
        const memory = await forge(page, alicePath, "org.vmgr.VM", "SetMemory", "ttt", [0, 0, 1 << 30]);
        assert(/^org\.vmgr\.Error\.NotAuthorized/.test(memory), `SetMemory refused: ${memory}`);
        const bob = await forge(page, vmPath("bob-secret"), "org.vmgr.VM", "Stop", "", []);
        assert(/does not exist/.test(bob), `bob's VM does not exist for alice: ${bob}`);
        assert(/'running'/.test(property(vmPath("bob-secret"), "org.vmgr.VM", "State")), "bob's VM still runs");
        const host = await forge(page, "/org/vmgr/Manager", "org.vmgr.Manager", "GetHostInfo", "", []);
        assert(/NotAuthorized/.test(host), `GetHostInfo refused: ${host}`);
    }],

    ["snapshots-of-own-server", async ({ open }) => {
        gdbus("/org/vmgr/customer/60002", "org.vmgr.Customer.Update", "{'max_snapshots': <uint32 1>}");
        const page = await open(URL.alice);
        const path = vmPath("alice-web");
        await page.evaluate(id => { window.location.hash = `#/vm/${id}` }, path.split("/").pop());
        await page.waitForSelector("#vm-snapshots #snapshot-none");
        assert(/0 of 1 snapshots/.test(await page.innerText("#snapshot-quota")), "her snapshot quota");

        await page.click("#snapshot-take");
        await page.fill("#snapshot-name", "first");
        await page.fill("#snapshot-description", "mine");
        await page.click("#snapshot-submit");
        const row = '#snapshot-list [data-snapshot="first"]';
        await page.waitForSelector(row);
        assert(snapshotExists(path, "first"), "vmgrd has it");
        await page.waitForFunction(() => /1 of 1 snapshots/.test(document.querySelector("#snapshot-quota").innerText));

        /* Over max_snapshots: the quota message, nothing taken. */
        await page.click("#snapshot-take");
        await page.fill("#snapshot-name", "second");
        await page.click("#snapshot-submit");
        const error = await page.waitForSelector("#snapshot-dialog .vmgr-error");
        const text = await error.innerText();
        assert(/Over the quota/.test(text) && /max_snapshots/.test(text), `the quota message: ${text}`);
        assert(!snapshotExists(path, "second"), "no second snapshot");
        await page.click('#snapshot-dialog button:has-text("Cancel")');

        const bob = await forge(page, vmPath("bob-secret"), "org.vmgr.VM", "CreateSnapshot", "sa{sv}", ["mine", {}]);
        assert(/does not exist/.test(bob), `bob's VM does not exist for alice: ${bob}`);

        await page.click(`${row} button[data-action="Delete"]`);
        await page.click('.pf-v5-c-modal-box button:has-text("Delete")');
        await page.waitForSelector("#vm-snapshots #snapshot-none");
        assert(!snapshotExists(path, "first"), "vmgrd deleted it");
        const seen = page.received.join("\n");
        for (const trace of bobTraces())
            assert(!seen.includes(trace), `still nothing of ${trace}`);
    }],

    ["save-and-restore-own-server", async ({ open }) => {
        const page = await open(URL.alice);
        const path = vmPath("alice-web");
        await page.evaluate(id => { window.location.hash = `#/vm/${id}` }, path.split("/").pop());
        const header = "#vm-page .vmgr-vm-header";
        await page.waitForSelector(`${header} .vmgr-state[data-state="running"]`);
        await page.click(`${header} button[data-action="Save"]`);
        await page.waitForSelector(`${header} .vmgr-state[data-state="suspended"]`);
        const restore = await page.waitForSelector(`${header} button[data-action="Start"]`);
        assert(await restore.innerText() === "Restore", `Start says Restore: ${await restore.innerText()}`);
        /* The list shows the saved state too. */
        await page.click("[data-tab=servers]");
        const row = '#vm-list [data-vm="alice-web"]';
        await page.waitForSelector(`${row} .vmgr-state[data-state="suspended"]`);
        await page.click(`${row} button[data-action="Start"]`);
        await page.waitForSelector(`${row} .vmgr-state[data-state="running"]`);
        assert(/'restored'/.test(property(path, "org.vmgr.VM", "StateReason")), "vmgrd: restored");
    }],

    ["contract-within-quota", async ({ open }) => {
        const page = await open(URL.alice);
        await page.click("[data-tab=contract]");
        await page.waitForSelector("#contract-quota");
        assert(/servers 1 of 2/.test(await page.innerText("#contract-quota")), "the quota and what is used");
        await page.selectOption("#contract-plan", "basic");
        await page.fill("#contract-name", "alice-shop");
        await page.click("#contract-submit");
        await page.waitForSelector('#vm-page[data-vm="alice-shop"]');
        assert(/'alice'/.test(property(vmPath("alice-shop"), "org.vmgr.VM", "OwnerName")), "owned by alice");
    }],

    ["contract-over-quota-refused", async ({ open }) => {
        const page = await open(URL.alice);
        await page.click("[data-tab=contract]");
        await page.waitForFunction(() => /servers 2 of 2/.test(document.querySelector("#contract-quota").innerText));
        await page.fill("#contract-name", "alice-more");
        await page.click("#contract-submit");
        const error = await page.waitForSelector("#contract .vmgr-error, #contract .vmgr-field-error");
        const text = await error.innerText();
        assert(/Over the quota/.test(text) && /vms/.test(text), `the quota message: ${text}`);
        assert(!vmExists("alice-more"), "no VM was made");
    }],

    ["own-record", async ({ open }) => {
        const page = await open(URL.alice);
        await page.click("[data-tab=account]");
        await page.waitForSelector("#account");
        const text = await page.innerText("#account");
        assert(/Alice Example/.test(text) && /20111222/.test(text), "her record");
    }],
]);
