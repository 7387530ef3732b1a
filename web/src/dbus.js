/* The page's one connection to vmgrd: cockpit.dbus as the logged-in user
 * (never superuser: polkit must see the real caller), the objects from the
 * ObjectManager kept current from InterfacesAdded/Removed and
 * PropertiesChanged, and StateChanged passed on. No polling. */
/* global cockpit */

export const BUS_NAME = "org.vmgr";
export const ROOT = "/org/vmgr";
export const MANAGER_PATH = "/org/vmgr/Manager";
export const MANAGER = "org.vmgr.Manager";
export const VM = "org.vmgr.VM";
export const CUSTOMER = "org.vmgr.Customer";
export const JOB = "org.vmgr.Job";
export const SNAPSHOT = "org.vmgr.Snapshot";

const PROPERTIES = "org.freedesktop.DBus.Properties";
const OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager";

/* {prop: {t, v}} -> {prop: v}; a dictionary of variants (Usage: a{sv})
 * the same way. */
function unwrap(props) {
    const out = {};
    for (const [k, variant] of Object.entries(props || {})) {
        const value = variant && typeof variant === "object" && "v" in variant ? variant.v : variant;
        out[k] = variant && variant.t === "a{sv}" ? unwrap(value) : value;
    }
    return out;
}

/* Plain values to an a{sv} of the given types: {key: [type, value]}. */
export function variants(typed) {
    const out = {};
    for (const [key, [t, v]] of Object.entries(typed))
        if (v !== undefined && v !== null)
            out[key] = { t, v };
    return out;
}

export class Vmgr {
    constructor() {
        this.client = cockpit.dbus(BUS_NAME, { bus: "system" });
        this.objects = {}; /* path -> {iface: {prop: value}} */
        this.listeners = new Set();
        this.stateListeners = new Set();
        this.ready = false;
        this.error = null;
        this.generation = 0;
    }

    /* Subscribes first, then reads everything once, so nothing that
     * happens in between is missed. */
    async start() {
        this.client.subscribe({ path_namespace: ROOT }, (path, iface, member, args) =>
            this.onSignal(path, iface, member, args));
        this.client.addEventListener("close", (ev, options) => {
            this.error = { name: "closed", message: options.problem || "the connection to the bus was closed" };
            this.changed();
        });
        try {
            const [objects] = await this.call(ROOT, OBJECT_MANAGER, "GetManagedObjects", "", []);
            for (const [path, ifaces] of Object.entries(objects))
                for (const [iface, props] of Object.entries(ifaces))
                    this.merge(path, iface, unwrap(props));
            this.ready = true;
        } catch (ex) {
            this.error = ex;
        }
        this.changed();
    }

    merge(path, iface, props) {
        const obj = this.objects[path] || (this.objects[path] = {});
        obj[iface] = Object.assign({}, obj[iface], props);
    }

    onSignal(path, iface, member, args) {
        if (iface === OBJECT_MANAGER && member === "InterfacesAdded") {
            const [added, ifaces] = args;
            for (const [name, props] of Object.entries(ifaces))
                this.merge(added, name, unwrap(props));
        } else if (iface === OBJECT_MANAGER && member === "InterfacesRemoved") {
            const [removed, names] = args;
            const obj = this.objects[removed];
            if (obj) {
                for (const name of names)
                    delete obj[name];
                if (Object.keys(obj).length === 0)
                    delete this.objects[removed];
            }
        } else if (iface === PROPERTIES && member === "PropertiesChanged") {
            const [name, changedProps] = args;
            if (!this.objects[path])
                return;
            this.merge(path, name, unwrap(changedProps));
        } else if (iface === VM && member === "StateChanged") {
            const [state, reason] = args;
            if (this.objects[path] && this.objects[path][VM])
                this.merge(path, VM, { State: state, StateReason: reason });
            for (const fn of this.stateListeners)
                fn(path, state, reason);
        } else {
            return;
        }
        this.changed();
    }

    changed() {
        this.generation++;
        for (const fn of this.listeners)
            fn();
    }

    subscribe(fn) {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
    }

    onStateChanged(fn) {
        this.stateListeners.add(fn);
        return () => this.stateListeners.delete(fn);
    }

    /* Every object with @iface: [{path, ...props}] */
    list(iface) {
        return Object.entries(this.objects)
                .filter(([, ifaces]) => ifaces[iface])
                .map(([path, ifaces]) => ({ path, ...ifaces[iface] }));
    }

    get(path, iface) {
        const obj = this.objects[path];
        return obj && obj[iface] ? { path, ...obj[iface] } : null;
    }

    call(path, iface, method, type, args) {
        return this.client.call(path, iface, method, args, { type });
    }

    manager(method, type, args) {
        return this.call(MANAGER_PATH, MANAGER, method, type, args || []);
    }

    vm(path, method, type, args) {
        return this.call(path, VM, method, type, args || []);
    }

    /* Resolves once the VM at @path is in @state (at once if it is). */
    waitForState(path, state) {
        return new Promise(resolve => {
            const check = () => {
                const vm = this.get(path, VM);
                if (!vm || vm.State === state) {
                    unsubscribe();
                    resolve();
                }
            };
            const unsubscribe = this.subscribe(check);
            check();
        });
    }
}

/* The short name of a D-Bus error ("QuotaExceeded"), or "". */
export function errorKind(ex) {
    const name = (ex && ex.name) || "";
    return name.startsWith("org.vmgr.Error.") ? name.slice("org.vmgr.Error.".length) : "";
}

const PREFIX = {
    NotAuthorized: "Not allowed",
    NotFound: "Not found",
    InvalidArgument: "Invalid value",
    AlreadyExists: "Already exists",
    InvalidState: "Not possible now",
    QuotaExceeded: "Over the quota",
    NotSupported: "Not supported here",
    Busy: "Busy",
    Hypervisor: "The hypervisor failed",
    Failed: "Failed",
};

/* One clear sentence for an error from vmgrd (or the bridge). */
export function describe(ex) {
    if (!ex)
        return "";
    const kind = errorKind(ex);
    let message = (ex.message || String(ex)).trim();
    if (ex.name === "org.freedesktop.DBus.Error.UnknownMethod" && /does not exist/.test(message))
        message = "this server does not exist (or is not yours)";
    else if (ex.problem === "not-found" || ex.name === "org.freedesktop.DBus.Error.ServiceUnknown")
        message = "vmgrd is not running on this host";
    const prefix = PREFIX[kind] || "Error";
    if (!/[.!?]$/.test(message))
        message += ".";
    return `${prefix}: ${message}`;
}

/* Which of @fields (in the form's order) a vmgrd message is about: the
 * one named first in the message; quota messages name a resource. */
export function fieldOfError(ex, fields) {
    const message = (ex && ex.message) || "";
    const aliases = { memory: "memory_limit", disk: "disk_hard_limit", vms: "name" };
    let best = null;
    let bestAt = Infinity;
    const consider = (word, field) => {
        if (!fields.includes(field))
            return;
        const m = new RegExp(`(^|[^a-z_])${word}([^a-z_]|$)`).exec(message);
        if (m && m.index < bestAt) {
            best = field;
            bestAt = m.index;
        }
    };
    for (const f of fields)
        consider(f, f);
    if (errorKind(ex) === "QuotaExceeded")
        for (const [word, field] of Object.entries(aliases))
            consider(word, field);
    return best;
}
