/** The xCAT verbs that setup links next to the `drover` binary, so admins can type them by name. */
export const VERB_NAMES = ['lshosts', 'nodeadd', 'chdef', 'lsdef', 'rmdef', 'nodels', 'tabdump', 'chtab', 'rpower', 'mkvm', 'rmvm', 'lsvm', 'wvid', 'rcons', 'rmigrate', 'revacuate', 'maintenance', 'ops', 'rhypervisor', 'makedhcp', 'makehosts', 'nodeset', 'rinstall'] as const;
