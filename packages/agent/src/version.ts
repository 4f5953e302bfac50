/** The agent's version, reported in heartbeats and written into the domains it defines. */
export const AGENT_VERSION = '0.1.0';
