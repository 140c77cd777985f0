import { ChevronDownIcon } from "./icons";

/** A compact choice of the chat's bars (model, instructions): a native select named by its label, with a chevron. */
export function Select({
  label,
  testId,
  value,
  options,
  onChange,
}: {
  label: string;
  testId: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
}) {
  return (
    <div className="relative min-w-0">
      <select
        aria-label={label}
        data-testid={testId}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="h-9 w-full max-w-44 cursor-pointer appearance-none truncate rounded-md bg-transparent pr-8 pl-2.5 text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring sm:max-w-60"
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <ChevronDownIcon className="pointer-events-none absolute top-1/2 right-2.5 -translate-y-1/2 text-muted-foreground" />
    </div>
  );
}
