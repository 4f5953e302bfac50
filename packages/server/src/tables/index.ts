/**
 * drover's xCAT tables: the schema of what admins may write, value syntaxes, and the repository
 * the API handlers use (nodeadd, chdef, lsdef, rmdef, nodels, tabdump, chtab).
 */
export { TablesError, type Failure, type TablesErrorCode } from './errors.js';
export { Tables, tableNames, DEFINITION_ATTRS, type EditMode, type ExpandOpts, type NodeAttrs, type TableDump } from './repository.js';
export {
  TABLES,
  NODE_TABLES,
  SHORT_NAMES,
  SITE_KEYS,
  WRITABLE_NODE_ATTRS,
  resolveNodeAttr,
  tableDef,
  type ColumnDef,
  type NodeAttr,
  type TableDef,
  type TableKind,
} from './schema.js';
