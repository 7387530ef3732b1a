/* CPU, memory, disk and network over time: the history vmgrd keeps
 * (VM.GetUsageHistory), then every new Usage sample appended live. */
import React, { useEffect, useRef, useState } from "react";
import { ToggleGroup, ToggleGroupItem } from "@patternfly/react-core";

import { InlineError } from "./common.jsx";
import { formatBytes } from "./format.js";

const MAX_POINTS = 720;

/* [time_us, cpu_percent, memory_used, disk_used, rx, tx] rows -> points
 * with network rates in bytes per second. */
function toPoints(rows) {
    const points = [];
    for (let i = 0; i < rows.length; i++) {
        const [t, cpu, mem, disk, rx, tx] = rows[i].map(Number);
        const prev = i > 0 ? rows[i - 1].map(Number) : null;
        const dt = prev ? (t - prev[0]) / 1e6 : 0;
        points.push({
            t, cpu, mem, disk,
            net: prev && dt > 0 ? Math.max(0, (rx - prev[4] + tx - prev[5]) / dt) : 0,
        });
    }
    return points;
}

function Sparkline({ name, points, value, format, max }) {
    const w = 300;
    const h = 60;
    if (points.length === 0)
        return <div className="vmgr-graph" data-graph={name} data-points="0"><b>{name}</b> no samples yet</div>;
    const t0 = points[0].t;
    const t1 = points[points.length - 1].t;
    const top = Math.max(max || 0, ...points.map(value), 1);
    const x = p => (t1 > t0 ? ((p.t - t0) / (t1 - t0)) * w : w);
    const y = p => h - (value(p) / top) * (h - 4) - 2;
    const line = points.map(p => `${x(p).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
    const last = points[points.length - 1];
    return (
        <div className="vmgr-graph" data-graph={name} data-points={points.length}>
            <div><b>{name}</b> {format(value(last))}</div>
            <svg viewBox={`0 0 ${w} ${h}`} width="100%" height={h} preserveAspectRatio="none" role="img" aria-label={`${name} over time`}>
                <polyline fill="none" stroke="var(--pf-v5-global--primary-color--100, #06c)" strokeWidth="1.5" points={line} />
                {points.map((p, i) => <circle key={i} cx={x(p)} cy={y(p)} r="1.2" className="vmgr-point" />)}
            </svg>
        </div>
    );
}

export function Graphs({ vmgr, vm }) {
    const [range, setRange] = useState("recent");
    const [rows, setRows] = useState({ recent: [], minutes: [] });
    const [error, setError] = useState(null);
    const lastSample = useRef(0);

    useEffect(() => {
        let live = true;
        vmgr.vm(vm.path, "GetUsageHistory", "", [])
                .then(([recent, minutes]) => {
                    if (!live)
                        return;
                    lastSample.current = recent.length ? Number(recent[recent.length - 1][0]) : 0;
                    setRows({ recent, minutes });
                })
                .catch(ex => live && setError(ex));
        return () => { live = false };
    }, [vmgr, vm.path]);

    /* Each new Usage sample (PropertiesChanged) adds a point. */
    const usage = vm.Usage || {};
    const at = Number(usage.sampled_at || 0);
    useEffect(() => {
        if (!at || at <= lastSample.current)
            return;
        lastSample.current = at;
        const row = [at, usage.cpu_percent || 0, usage.memory_used || 0, usage.disk_used || 0,
            usage.net_rx_bytes || 0, usage.net_tx_bytes || 0];
        setRows(old => ({ ...old, recent: [...old.recent, row].slice(-MAX_POINTS) }));
    }, [at]); // eslint-disable-line react-hooks/exhaustive-deps

    const points = toPoints(range === "recent" ? rows.recent : rows.minutes);
    return (
        <div className="vmgr-graphs" id="vm-graphs">
            <ToggleGroup aria-label="Time range" isCompact>
                <ToggleGroupItem text="Last hour" isSelected={range === "recent"} onChange={() => setRange("recent")} />
                <ToggleGroupItem text="Last day" isSelected={range === "minutes"} onChange={() => setRange("minutes")} />
            </ToggleGroup>
            <InlineError error={error} />
            <Sparkline name="CPU" points={points} value={p => p.cpu} max={100} format={v => `${v.toFixed(1)}%`} />
            <Sparkline name="Memory" points={points} value={p => p.mem} max={vm.MemoryLimit} format={formatBytes} />
            <Sparkline name="Disk" points={points} value={p => p.disk} max={vm.DiskHardLimit} format={formatBytes} />
            <Sparkline name="Network" points={points} value={p => p.net} format={v => `${formatBytes(v)}/s`} />
        </div>
    );
}
