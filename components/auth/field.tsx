/** A labelled input of the account forms, with an optional hint under it. */
export function Field({
  id,
  label,
  hint,
  invalid = false,
  required = true,
  ...input
}: {
  id: string;
  label: string;
  name: string;
  type: string;
  autoComplete: string;
  hint?: string;
  invalid?: boolean;
  required?: boolean;
  minLength?: number;
  defaultValue?: string;
}) {
  const hintId = `${id}-hint`;
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        required={required}
        aria-invalid={invalid || undefined}
        aria-describedby={hint ? hintId : undefined}
        className="h-10 rounded-md border border-input bg-background px-3 text-base sm:text-sm"
        {...input}
      />
      {hint && (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
    </div>
  );
}

/** What a form says after it is sent: a problem (role alert) or a confirmation (status). */
export function FormNotice({ problem, done }: { problem?: string; done?: string }) {
  if (problem) {
    return (
      <p role="alert" data-testid="auth-error" className="rounded-md bg-danger-muted px-3 py-2 text-sm">
        {problem}
      </p>
    );
  }
  if (done) {
    return (
      <p role="status" data-testid="auth-done" className="rounded-md bg-muted px-3 py-2 text-sm">
        {done}
      </p>
    );
  }
  return null;
}
