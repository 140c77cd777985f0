"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MinutePoint } from "@/lib/metrics/minute-series";

export interface ChartLine {
  key: keyof Omit<MinutePoint, "at">;
  label: string;
  color: string;
}

const timeOfDay = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** The last hour, a point per minute, one line per series. */
export function ActivityChart({ title, points, lines }: { title: string; points: MinutePoint[]; lines: ChartLine[] }) {
  const latest = points.at(-1);
  return (
    <figure className="rounded-lg border border-border bg-card p-4">
      <figcaption className="flex items-baseline justify-between gap-2 text-sm font-medium">
        <span>{title}</span>
        <span className="text-xs font-normal text-muted-foreground">last hour, per minute</span>
      </figcaption>
      {/* The chart is for sighted readers; the same figures are in the cards and tables. */}
      <div className="mt-3 h-48" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          {/* No keyboard layer: the chart is hidden from assistive technology, so it takes no focus either. */}
          <LineChart accessibilityLayer={false} data={points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="at"
              tickFormatter={timeOfDay}
              stroke="var(--muted-foreground)"
              fontSize={11}
              minTickGap={40}
              tickLine={false}
            />
            <YAxis allowDecimals={false} stroke="var(--muted-foreground)" fontSize={11} tickLine={false} width={48} />
            <Tooltip
              labelFormatter={(at) => timeOfDay(Number(at))}
              contentStyle={{ background: "var(--card)", border: "1px solid var(--border)", borderRadius: 8, fontSize: 12 }}
            />
            <Legend iconType="plainline" wrapperStyle={{ fontSize: 12 }} />
            {/* Lines after the first are dashed and wider: where two lines meet, both stay visible. */}
            {lines.map((line, index) => (
              <Line
                key={line.key}
                type="monotone"
                dataKey={line.key}
                name={line.label}
                stroke={line.color}
                strokeWidth={index === 0 ? 2 : 3}
                strokeDasharray={index === 0 ? undefined : "6 4"}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      {latest && (
        <p className="sr-only">
          This minute: {lines.map((line) => `${line.label} ${latest[line.key]}`).join(", ")}.
        </p>
      )}
    </figure>
  );
}
