/* The VM's console in the browser: `vmgrctl console VM` run in a pty by
 * the Cockpit bridge as the logged-in user, so polkit's console actions
 * decide exactly as on the command line. */
import React, { useEffect, useRef, useState } from "react";
import { Button, Card, CardBody, CardTitle } from "@patternfly/react-core";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";

export function Console({ vm }) {
    const [open, setOpen] = useState(false);
    const [ended, setEnded] = useState(null);
    const host = useRef(null);

    useEffect(() => {
        if (!open)
            return;
        const term = new Terminal({ cols: 100, rows: 24, convertEol: true, fontSize: 13 });
        term.open(host.current);
        const channel = cockpit.channel({
            payload: "stream",
            spawn: ["vmgrctl", "console", vm.Name],
            pty: true,
            window: { rows: 24, cols: 100 },
            environ: ["TERM=xterm-256color"],
        });
        channel.addEventListener("message", (_ev, data) => term.write(data));
        channel.addEventListener("close", (_ev, options) => {
            const why = options.problem ? `: ${options.problem}` : options["exit-status"] ? ` (vmgrctl exited with status ${options["exit-status"]})` : "";
            setEnded(`The console session ended${why}.`);
            term.write("\r\n[console closed]\r\n");
        });
        const input = term.onData(data => channel.send(data));
        term.focus();
        return () => {
            input.dispose();
            channel.close();
            term.dispose();
        };
    }, [open, vm.Name]);

    return (
        <Card id="vm-console" className="vmgr-console">
            <CardTitle>Console</CardTitle>
            <CardBody>
                {!open
                    ? <Button id="console-open" variant="secondary" onClick={() => { setEnded(null); setOpen(true) }}>Connect</Button>
                    : <Button variant="link" onClick={() => setOpen(false)}>Disconnect</Button>}
                {ended && <p className="vmgr-console-ended">{ended}</p>}
                {open && <div ref={host} className="vmgr-terminal" />}
            </CardBody>
        </Card>
    );
}
