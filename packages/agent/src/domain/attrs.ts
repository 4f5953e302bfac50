// The attribute syntaxes come from @drover/contract. Its index does not re-export the attrs
// module yet, so this one file reaches it directly; once `@drover/contract` exports it, change
// the path below to '@drover/contract' and nothing else moves.
export {
  MAX_CPUS,
  isValidNodeName,
  isValidMac,
  parseMac,
  isValidBridgeName,
  isValidNetworkName,
  pathProblem,
  NIC_MODELS,
  type BootDevice,
  type DiskFormat,
  type NicModel,
} from '@drover/contract';
