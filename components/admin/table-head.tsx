/** The header row of an admin figures table: numeric columns are right-aligned, as their cells are. */
export function TableHead({ columns }: { columns: { label: string; numeric: boolean }[] }) {
  return (
    <thead className="text-left text-xs text-muted-foreground">
      <tr>
        {columns.map(({ label, numeric }) => (
          <th key={label} className={`py-1 font-medium ${numeric ? "text-right" : ""}`}>
            {label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
