// kubectl-style output for the `starling` CLI: pure functions from objects (and `now`, in ms) to text.

export { formatAge, formatRFC1123Z, humanDuration, parseTime } from './age.ts';
export { noResourcesFound, renderTable, withNamespaceColumn } from './table.ts';
export { DESCRIBE_TABWRITER, GET_TABWRITER, tabwrite } from './tabwriter.ts';
export type { TabwriterOptions } from './tabwriter.ts';
export {
  formatLabels,
  formatLabelSelector,
  selectorMatches,
  selectorString,
} from './selector.ts';
export {
  isRestartableInitContainer,
  POD_HEADERS,
  POD_WIDE_HEADERS,
  podIP,
  podRow,
  podStatusReason,
  podSummary,
} from './pods.ts';
export type { PodSummary } from './pods.ts';
export {
  CLUSTER_SCOPED_KINDS,
  containerCells,
  deploymentRow,
  eventObject,
  eventRow,
  genericRow,
  getTable,
  tableCells,
  namespaceRow,
  nodeRoles,
  nodeRow,
  nodeStatus,
  normalizeKind,
  replicaSetRow,
  serviceRow,
} from './workloads.ts';
export type { TableOptions } from './workloads.ts';
export {
  apiGroup,
  formatJSON,
  formatNames,
  formatOutput,
  formatYAML,
  toList,
  toName,
} from './output.ts';
export type { KList, OutputFormat, SerializeOptions } from './output.ts';
export { deploymentReplicaSets, describe, podPhaseCounts, podQOSClass } from './describe.ts';
export type { DescribeRelated } from './describe.ts';
export { describeProbe } from './describe-containers.ts';
export { ACTOR_HEADERS, actorDetail, actorRow, actorsTable } from './actors.ts';
export type { ActorRecord, ActorTransition } from './actors.ts';
export { formatQuantity, parseQuantity } from './quantity.ts';
