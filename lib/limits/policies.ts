/**
 * Every rate limit and quota Stampede enforces, as data: read by the limiter and the allowance
 * checks, and shown as is on the admin pages. Change a number here and it changes everywhere.
 */
import type { AttachmentKind, Tier } from "@/lib/domain";

export interface TierPolicy {
  /** Messages per minute, over a sliding window: the sustained pace. */
  messagesPerMinute: number;
  /** Messages that may be sent back to back (a token bucket), refilled one every `refillSeconds`. */
  burst: { size: number; refillSeconds: number };
  /** Messages per UTC day. */
  messagesPerDay: number;
  /**
   * Model tokens (prompt and reply) per UTC day: a reply's estimate (its prompt and output cap) is
   * reserved before the model call and settled with the provider's figures after it.
   */
  tokensPerDay: number;
  /** Characters per message; MAX_MESSAGE_LENGTH caps every tier, whatever this says. */
  maxMessageLength: number;
  /** Tokens one reply may have: sent to the provider as its output cap, so no reply runs unbounded. */
  maxOutputTokens: number;
}

export const TIER_POLICIES = {
  guest: {
    messagesPerMinute: 5,
    burst: { size: 3, refillSeconds: 10 },
    messagesPerDay: 30,
    tokensPerDay: 30_000,
    maxMessageLength: 2_000,
    maxOutputTokens: 1_000,
  },
  free: {
    messagesPerMinute: 10,
    burst: { size: 5, refillSeconds: 6 },
    messagesPerDay: 200,
    tokensPerDay: 200_000,
    maxMessageLength: 4_000,
    maxOutputTokens: 2_000,
  },
  pro: {
    messagesPerMinute: 30,
    burst: { size: 10, refillSeconds: 2 },
    messagesPerDay: 2_000,
    tokensPerDay: 2_000_000,
    maxMessageLength: 16_000,
    maxOutputTokens: 4_000,
  },
  admin: {
    messagesPerMinute: 60,
    burst: { size: 20, refillSeconds: 1 },
    messagesPerDay: 10_000,
    tokensPerDay: 10_000_000,
    maxMessageLength: 32_000,
    maxOutputTokens: 8_000,
  },
} as const satisfies Record<Tier, TierPolicy>;

/**
 * What a plan may attach to its messages (lib/attachments/): which kinds (checked by content),
 * how large each file may be, and how many one message may carry.
 */
export interface AttachmentPolicy {
  kinds: readonly AttachmentKind[];
  maxBytes: number;
  perMessage: number;
  /** Files stored per UTC day, sent or not: what bounds the storage one user can fill. */
  uploadsPerDay: number;
}

export const ATTACHMENT_POLICIES = {
  guest: { kinds: ["image"], maxBytes: 2 * 1024 * 1024, perMessage: 1, uploadsPerDay: 10 },
  free: { kinds: ["image", "pdf"], maxBytes: 5 * 1024 * 1024, perMessage: 4, uploadsPerDay: 100 },
  pro: { kinds: ["image", "pdf"], maxBytes: 20 * 1024 * 1024, perMessage: 10, uploadsPerDay: 500 },
  admin: { kinds: ["image", "pdf"], maxBytes: 20 * 1024 * 1024, perMessage: 10, uploadsPerDay: 1_000 },
} as const satisfies Record<Tier, AttachmentPolicy>;

/** The largest upload any plan takes: the upload route's body cap. */
export const LARGEST_ATTACHMENT_BYTES = Math.max(...Object.values(ATTACHMENT_POLICIES).map((policy) => policy.maxBytes));

/**
 * Limits on all guest sessions from one client IP together, so that starting a new guest session
 * does not start a new allowance. Generous enough for a few people behind one NAT.
 */
export const GUEST_IP_POLICY = {
  messagesPerMinute: 30,
  messagesPerDay: 300,
  /** Model tokens per UTC day, reserved and settled as a guest's own quota is (lib/limits/token-budget.ts). */
  tokensPerDay: 100_000,
} as const satisfies { messagesPerMinute: number; messagesPerDay: number; tokensPerDay: number };

/**
 * Every /api/auth request that changes something, counted before better-auth sees it
 * (lib/limits/auth-attempts.ts). Sign-ins count failures only (a wrong password), so an owner who
 * types it right is never spending an allowance; failures are held back per address and per
 * account at that address, and for the account as a whole only slowed down, so strangers failing
 * from elsewhere never lock its owner out.
 */
export const AUTH_ATTEMPT_POLICY = {
  /** Wrong passwords from one address, whatever accounts they name (credential stuffing). */
  signInFailuresPerIpPerMinute: 10,
  /** Wrong passwords for one account from one address: then that address is refused for it. */
  signInFailuresPerAccountAndIpPer15Minutes: 5,
  /** Wrong passwords for one account from every address together: past this, its sign-ins are slowed, never refused. */
  signInFailuresPerAccountPer15Minutes: 10,
  /** How long each sign-in for an account past that backstop waits before its password is checked. */
  signInBackstopDelaySeconds: 2,
  signUpPerIpPerMinute: 3,
  /** Requests that mail an address (verification resend, password reset, change of email) from one address. */
  mailRequestsPerIpPerMinute: 5,
  /** Mail to one address by those requests, so nobody's inbox can be flooded. */
  mailsPerRecipientPerHour: 5,
  /** Password resets with an emailed token, from one address. */
  passwordResetsPerIpPerMinute: 10,
  /** Changes of password or email and account deletions, per signed-in user (each asks for a password or mails). */
  accountChangesPerUserPer15Minutes: 10,
  /** Every other POST under /api/auth (sign-out, session revocations, profile updates…), from one address. */
  otherRequestsPerIpPerMinute: 60,
  /** New guest sessions: each is a user row, so one network may not mint them without bound. */
  guestSessionsPerIpPerMinute: 30,
} as const satisfies Record<string, number>;

/** A duration as @upstash/ratelimit writes it, e.g. "1 m" or "15 m". */
export type Duration = `${number} ${"ms" | "s" | "m" | "h" | "d"}`;

const MS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(duration: Duration): number {
  const [amount, unit] = duration.split(" ") as [string, keyof typeof MS_PER_UNIT];
  return Number(amount) * MS_PER_UNIT[unit];
}

/**
 * One counter the limiter keeps per identifier, with @upstash/ratelimit's algorithms. Windows
 * are aligned to the Unix epoch, so a "1 d" fixed window is a UTC day.
 */
export type LimitRule =
  | { algorithm: "sliding-window"; limit: number; window: Duration }
  | { algorithm: "fixed-window"; limit: number; window: Duration }
  | { algorithm: "token-bucket"; maxTokens: number; refillRate: number; interval: Duration };

export type TierRuleKind = "per-minute" | "burst" | "messages-per-day" | "tokens-per-day";

export type LimitRuleName =
  | `${Tier}.${TierRuleKind}`
  | "guest-ip.per-minute"
  | "guest-ip.per-day"
  | "guest-ip.tokens-per-day"
  | `${Tier}.uploads-per-day`
  | `auth.${AuthRuleKind}`;

export type AuthRuleKind =
  | "sign-in-failures-per-ip"
  | "sign-in-failures-per-account-and-ip"
  | "sign-in-failures-per-account"
  | "sign-up-per-ip"
  | "mail-requests-per-ip"
  | "mails-per-recipient"
  | "password-resets-per-ip"
  | "account-changes-per-user"
  | "other-per-ip"
  | "guest-per-ip";

export function tierRuleName(tier: Tier, kind: TierRuleKind): LimitRuleName {
  return `${tier}.${kind}`;
}

function tierRules(tier: Tier): [LimitRuleName, LimitRule][] {
  const policy: TierPolicy = TIER_POLICIES[tier];
  return [
    [tierRuleName(tier, "per-minute"), { algorithm: "sliding-window", limit: policy.messagesPerMinute, window: "1 m" }],
    [
      tierRuleName(tier, "burst"),
      { algorithm: "token-bucket", maxTokens: policy.burst.size, refillRate: 1, interval: `${policy.burst.refillSeconds} s` },
    ],
    [tierRuleName(tier, "messages-per-day"), { algorithm: "fixed-window", limit: policy.messagesPerDay, window: "1 d" }],
    [tierRuleName(tier, "tokens-per-day"), { algorithm: "fixed-window", limit: policy.tokensPerDay, window: "1 d" }],
  ];
}

function perMinute(limit: number): LimitRule {
  return { algorithm: "sliding-window", limit, window: "1 m" };
}

/** The limiter's rules, derived from the tables above. */
export const LIMIT_RULES: Readonly<Record<LimitRuleName, LimitRule>> = Object.freeze({
  ...(Object.fromEntries(
    (Object.keys(TIER_POLICIES) as Tier[]).flatMap(tierRules),
  ) as Record<`${Tier}.${TierRuleKind}`, LimitRule>),
  "guest-ip.per-minute": { algorithm: "sliding-window", limit: GUEST_IP_POLICY.messagesPerMinute, window: "1 m" },
  "guest-ip.per-day": { algorithm: "fixed-window", limit: GUEST_IP_POLICY.messagesPerDay, window: "1 d" },
  "guest-ip.tokens-per-day": { algorithm: "fixed-window", limit: GUEST_IP_POLICY.tokensPerDay, window: "1 d" },
  ...(Object.fromEntries(
    (Object.keys(ATTACHMENT_POLICIES) as Tier[]).map((tier): [string, LimitRule] => [
      `${tier}.uploads-per-day`,
      { algorithm: "fixed-window", limit: ATTACHMENT_POLICIES[tier].uploadsPerDay, window: "1 d" },
    ]),
  ) as Record<`${Tier}.uploads-per-day`, LimitRule>),
  "auth.sign-in-failures-per-ip": perMinute(AUTH_ATTEMPT_POLICY.signInFailuresPerIpPerMinute),
  "auth.sign-in-failures-per-account-and-ip": {
    algorithm: "sliding-window",
    limit: AUTH_ATTEMPT_POLICY.signInFailuresPerAccountAndIpPer15Minutes,
    window: "15 m",
  },
  "auth.sign-in-failures-per-account": {
    algorithm: "sliding-window",
    limit: AUTH_ATTEMPT_POLICY.signInFailuresPerAccountPer15Minutes,
    window: "15 m",
  },
  "auth.sign-up-per-ip": perMinute(AUTH_ATTEMPT_POLICY.signUpPerIpPerMinute),
  "auth.mail-requests-per-ip": perMinute(AUTH_ATTEMPT_POLICY.mailRequestsPerIpPerMinute),
  "auth.mails-per-recipient": { algorithm: "sliding-window", limit: AUTH_ATTEMPT_POLICY.mailsPerRecipientPerHour, window: "1 h" },
  "auth.password-resets-per-ip": perMinute(AUTH_ATTEMPT_POLICY.passwordResetsPerIpPerMinute),
  "auth.account-changes-per-user": {
    algorithm: "sliding-window",
    limit: AUTH_ATTEMPT_POLICY.accountChangesPerUserPer15Minutes,
    window: "15 m",
  },
  "auth.other-per-ip": perMinute(AUTH_ATTEMPT_POLICY.otherRequestsPerIpPerMinute),
  "auth.guest-per-ip": perMinute(AUTH_ATTEMPT_POLICY.guestSessionsPerIpPerMinute),
});

/** The longest message a tier may send: its own maximum, never above the configured ceiling. */
export function maxMessageLengthFor(tier: Tier, ceiling: number): number {
  return Math.min(TIER_POLICIES[tier].maxMessageLength, ceiling);
}
