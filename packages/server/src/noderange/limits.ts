/**
 * Limits that keep expansion of untrusted input bounded in time and memory. They are far above
 * what a real fleet needs; going over one is a NODERANGE_TOO_LARGE (or, for patterns, a syntax) error.
 */
export const LIMITS = Object.freeze({
  /** Characters in one expression (or one ^file's content). */
  maxInputLength: 1_000_000,
  /** Parentheses nested inside each other. */
  maxNesting: 64,
  /** Names one range (node1-node9, node[1-9], node1+8, f[1-2]n[1-3] as a whole) may produce. */
  maxRangeSize: 100_000,
  /** Set elements one expansion may touch: generated names, group members added, elements
   *  united, intersected or excluded, selector tests: about ten passes over a 100,000-node
   *  fleet, about a second of work. Guards against many cheap terms that add up
   *  (all,all,all,... or a[1-99999],b[1-99999],...). */
  maxElements: 2_000_000,
  /** Steps (thread moves) all /regex and =~ tests of one expansion may take together. */
  maxPatternSteps: 200_000_000,
  /** Characters of a regular expression. */
  maxPatternLength: 1_000,
  /** Largest count in a {n,m} repetition. */
  maxRepeat: 1_000,
  /** Instructions a compiled regular expression may have (after repetitions are unrolled). */
  maxPatternProgram: 20_000,
  /** Longest name: a range or bracket pattern written longer than this is rejected (its names
   *  would be as long), and longer node or group names never match a /regex. DNS allows 253. */
  maxNameLength: 255,
});
