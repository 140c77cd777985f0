/**
 * better-auth's error codes a person can cause, in words for the account forms. Codes come from
 * better-auth (`{ code, message }`) and from Stampede's own limits in the same shape.
 */
export const MIN_PASSWORD_LENGTH = 8;

const MESSAGE_BY_CODE: Record<string, string> = {
  INVALID_EMAIL_OR_PASSWORD: "That email and password don't match an account.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead.",
  PASSWORD_TOO_SHORT: `Use at least ${MIN_PASSWORD_LENGTH} characters for your password.`,
  PASSWORD_TOO_LONG: "Use at most 128 characters for your password.",
  BANNED_USER: "This account is suspended.",
  INVALID_PASSWORD: "Your current password is not right.",
  INVALID_TOKEN: "This link has expired or was already used. Ask for a new one.",
  EMAIL_ALREADY_VERIFIED: "This address is already verified.",
  UNAUTHORIZED: "Your session has ended. Sign in again to continue.",
};

export interface AuthErrorLike {
  code?: string;
  message?: string;
  status?: number;
}

export function describeAuthError(error: AuthErrorLike): string {
  if (error.code && MESSAGE_BY_CODE[error.code]) return MESSAGE_BY_CODE[error.code];
  // Stampede's limits say how long to wait; their message is written for people.
  if (error.code === "RATE_LIMITED" && error.message) return error.message;
  if (error.status === 429) return "Too many attempts. Please wait a few seconds and try again.";
  return error.message || "Something went wrong. Please try again.";
}
