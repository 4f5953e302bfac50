// Attribute syntaxes from @drover/contract (see ../domain/attrs.ts for why the path is deep).
export { diskVolumeName, iscsiByPath, iscsiUrl, pathProblem, parseStorageList, type DiskSpec, type DiskFormat } from '@drover/contract';
