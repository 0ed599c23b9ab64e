/**
 * Who may talk to the bot: numeric user ids or @usernames from the allowlist, or everyone when
 * allow-all is set. Nobody is allowed by default.
 * @module
 */

/** A Telegram user as the allowlist sees it. */
export interface TelegramUser {
  id: number;
  username?: string;
}

/** The allowlist settings. */
export interface AccessPolicy {
  allowedUsers: string[];
  allowAllUsers: boolean;
}

/**
 * Whether `user` may reach the agent. Usernames compare case-insensitively, with or without `@`.
 *
 * @example
 * ```ts
 * isUserAllowed({ id: 42 }, { allowedUsers: ["42", "@alice"], allowAllUsers: false }); // true
 * ```
 */
export function isUserAllowed(user: TelegramUser, policy: AccessPolicy): boolean {
  if (policy.allowAllUsers) return true;
  const username = user.username?.toLowerCase();
  return policy.allowedUsers.some((entry) => {
    const value = entry.trim();
    if (/^-?\d+$/.test(value)) return Number(value) === user.id;
    return username !== undefined && value.replace(/^@/, "").toLowerCase() === username;
  });
}

/** Whether the policy lets nobody in, so the log can say how to allow users. */
export function allowsNobody(policy: AccessPolicy): boolean {
  return !policy.allowAllUsers && policy.allowedUsers.every((entry) => entry.trim() === "");
}
