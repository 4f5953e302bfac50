/** Who a certificate is for: the server, an agent, or an admin with a role. */
export type CertKind = 'server' | 'agent' | 'admin' | 'operator' | 'viewer';
export const USER_ROLES = ['admin', 'operator', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];
