import type { ComponentProps } from "react";

const VARIANTS = {
  primary: "bg-primary text-primary-foreground hover:opacity-90",
  secondary: "border border-border bg-background hover:bg-muted",
  ghost: "text-muted-foreground hover:bg-muted hover:text-foreground",
  danger: "bg-danger text-background hover:opacity-90",
} as const;

const SIZES = {
  sm: "h-8 gap-1.5 px-2.5 text-sm",
  md: "h-10 gap-2 px-4 text-sm",
  icon: "size-9",
  /** Message and list actions: a 44 px target however small the label, for fingers. */
  touch: "h-11 min-w-11 gap-1.5 px-3 text-sm",
} as const;

export type ButtonVariant = keyof typeof VARIANTS;

export function buttonClasses({
  variant = "secondary",
  size = "md",
  className = "",
}: { variant?: ButtonVariant; size?: keyof typeof SIZES; className?: string } = {}): string {
  return `inline-flex shrink-0 items-center justify-center rounded-md font-medium transition-colors disabled:pointer-events-none disabled:opacity-50 ${VARIANTS[variant]} ${SIZES[size]} ${className}`;
}

export function Button({
  variant,
  size,
  className,
  type = "button",
  ...props
}: ComponentProps<"button"> & { variant?: ButtonVariant; size?: keyof typeof SIZES }) {
  return <button type={type} className={buttonClasses({ variant, size, className })} {...props} />;
}

/** An icon-only button of the top bar: its label is both its accessible name and its tooltip. */
export function ToolbarIconButton({ label, ...props }: Omit<ComponentProps<"button">, "aria-label" | "title"> & { label: string }) {
  return <Button variant="ghost" size="icon" aria-label={label} title={label} {...props} />;
}
