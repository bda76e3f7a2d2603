// Pod spec validation (Kubernetes pkg/apis/core/validation: validatePodSpec, validateContainers,
// validateVolumes, validateContainerPorts, validateResourceRequirements, validateProbe), with
// Kubernetes' paths and wording. Values of the wrong JSON type were already reported by the shape
// check (schema.ts); they are skipped here.

import type { FieldError } from '../errors.ts';
import { isLabelKey, validateLabels } from './labels.ts';
import { duplicate, forbidden, invalid, notFound, notSupported, required } from './messages.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
} from './names.ts';
import { canonicalQuantity, parseQuantity, quantityErrors } from './quantity.ts';
import { KUBERNETES_VOLUME_SOURCES, SUPPORTED_VOLUME_SOURCES } from './schema.ts';
import { validateConfigVolume, validateEnvFrom, validateEnvVarSource } from './validate-config-refs.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const NON_NEGATIVE = 'must be greater than or equal to 0';

export interface Findings {
  errors: FieldError[];
  warnings: string[];
}

export interface PodSpecOptions {
  /** A pod template of a ReplicaSet/Deployment: restartPolicy must be Always. */
  template?: boolean;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

/** Validates a PodSpec at `path` (`spec` for a Pod, `spec.template.spec` for a template). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecOptions = {}): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const s = isObject(spec) ? spec : {};
  const volumes = validateVolumes(s.volumes, `${path}.volumes`, out);

  const containers = list(s.containers);
  if (containers.length === 0) out.errors.push(required(`${path}.containers`));
  const names = new Set<string>();
  containers.forEach((c, i) =>
    validateContainer(c, `${path}.containers[${i}]`, names, volumes, out, { init: false })
  );
  list(s.initContainers).forEach((c, i) =>
    validateContainer(c, `${path}.initContainers[${i}]`, names, volumes, out, { init: true })
  );

  const rp = s.restartPolicy;
  if (typeof rp === 'string' && rp !== '') {
    if (opts.template) {
      if (rp !== 'Always') out.errors.push(notSupported(`${path}.restartPolicy`, rp, ['Always']));
    } else if (!RESTART_POLICIES.includes(rp)) {
      out.errors.push(notSupported(`${path}.restartPolicy`, rp, RESTART_POLICIES));
    }
  }
  if (isInt(s.terminationGracePeriodSeconds) && s.terminationGracePeriodSeconds < 0) {
    out.errors.push(
      invalid(
        `${path}.terminationGracePeriodSeconds`,
        s.terminationGracePeriodSeconds,
        NON_NEGATIVE,
      ),
    );
  }
  if (opts.template && s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    out.errors.push(
      forbidden(
        `${path}.activeDeadlineSeconds`,
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      ),
    );
  }
  out.errors.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  if (typeof s.nodeName === 'string' && s.nodeName !== '') {
    for (const m of isDNS1123Subdomain(s.nodeName)) {
      out.errors.push(invalid(`${path}.nodeName`, s.nodeName, m));
    }
  }
  return out;
}

/** Checks volumes; returns the names of the declared volumes. */
function validateVolumes(volumes: unknown, path: string, out: Findings): Set<string> {
  const names = new Set<string>();
  list(volumes).forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(v)) return;
    const name = v.name;
    if (typeof name !== 'string' || name === '') {
      out.errors.push(required(`${p}.name`));
    } else {
      for (const m of isDNS1123Label(name)) out.errors.push(invalid(`${p}.name`, name, m));
      if (names.has(name)) out.errors.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
    const sources = (KUBERNETES_VOLUME_SOURCES as readonly string[]).filter(
      (src) => v[src] !== undefined && v[src] !== null,
    );
    if (sources.length === 0) {
      out.errors.push(required(p, 'must specify a volume type'));
      return;
    }
    const unsupported = sources.filter(
      (src) => !(SUPPORTED_VOLUME_SOURCES as readonly string[]).includes(src),
    );
    for (const src of unsupported) {
      out.errors.push(
        notSupported(
          `${p}.${src}`,
          src,
          SUPPORTED_VOLUME_SOURCES,
          'Starling supports only emptyDir, hostPath, configMap and secret volumes',
        ),
      );
    }
    if (unsupported.length === 0 && sources.length > 1) {
      out.errors.push(forbidden(`${p}.${sources[1]}`, 'may not specify more than 1 volume type'));
    }
    if (isObject(v.hostPath)) {
      const hp = v.hostPath;
      if (typeof hp.path !== 'string' || hp.path === '') {
        out.errors.push(required(`${p}.hostPath.path`));
      } else if (hp.path.split('/').includes('..')) {
        out.errors.push(invalid(`${p}.hostPath.path`, hp.path, "must not contain '..'"));
      }
      if (typeof hp.type === 'string' && !HOST_PATH_TYPES.includes(hp.type)) {
        out.errors.push(notSupported(`${p}.hostPath.type`, hp.type, HOST_PATH_TYPES));
      }
    }
    if (isObject(v.configMap)) out.errors.push(...validateConfigVolume(v.configMap, `${p}.configMap`, 'name'));
    if (isObject(v.secret)) out.errors.push(...validateConfigVolume(v.secret, `${p}.secret`, 'secretName'));
    if (isObject(v.emptyDir)) {
      const ed = v.emptyDir;
      if (typeof ed.medium === 'string' && !['', 'Memory'].includes(ed.medium)) {
        out.errors.push(notSupported(`${p}.emptyDir.medium`, ed.medium, ['', 'Memory']));
      }
      if (ed.sizeLimit !== undefined && ed.sizeLimit !== null) {
        for (const m of quantityErrors(ed.sizeLimit)) {
          out.errors.push(invalid(`${p}.emptyDir.sizeLimit`, ed.sizeLimit, m));
        }
      }
    }
  });
  return names;
}

function validateContainer(
  c: unknown,
  path: string,
  names: Set<string>,
  volumes: Set<string>,
  out: Findings,
  opts: { init: boolean },
): void {
  if (!isObject(c)) {
    if (c === null || c === undefined) out.errors.push(required(path));
    return;
  }
  const name = c.name;
  if (typeof name !== 'string' || name === '') {
    out.errors.push(required(`${path}.name`));
  } else {
    for (const m of isDNS1123Label(name)) out.errors.push(invalid(`${path}.name`, name, m));
    if (names.has(name)) out.errors.push(duplicate(`${path}.name`, name));
    names.add(name);
  }
  const image = c.image;
  if (typeof image !== 'string' || image === '') {
    out.errors.push(required(`${path}.image`));
  } else if (image.trim() !== image) {
    out.errors.push(
      invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'),
    );
  }
  if (typeof c.imagePullPolicy === 'string' && c.imagePullPolicy !== '') {
    if (!PULL_POLICIES.includes(c.imagePullPolicy)) {
      out.errors.push(notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
    }
  }
  validatePorts(c.ports, `${path}.ports`, out);
  list(c.env).forEach((e, i) => {
    if (!isObject(e)) return;
    const p = `${path}.env[${i}].name`;
    if (typeof e.name !== 'string' || e.name === '') out.errors.push(required(p));
    else for (const m of isEnvVarName(e.name)) out.errors.push(invalid(p, e.name, m));
    out.errors.push(...validateEnvVarSource(e, `${path}.env[${i}].valueFrom`));
  });
  out.errors.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  validateResources(c.resources, `${path}.resources`, out);
  validateVolumeMounts(c.volumeMounts, `${path}.volumeMounts`, volumes, out);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (c[probe] === undefined || c[probe] === null) continue;
    if (opts.init) {
      out.errors.push(
        forbidden(
          `${path}.${probe}`,
          'may not be set for init containers without restartPolicy=Always',
        ),
      );
      continue;
    }
    validateProbe(c[probe], `${path}.${probe}`, probe !== 'readinessProbe', out);
  }
}

function validatePorts(ports: unknown, path: string, out: Findings): void {
  const names = new Set<string>();
  list(ports).forEach((port, i) => {
    if (!isObject(port)) return;
    const p = `${path}[${i}]`;
    if (typeof port.name === 'string' && port.name !== '') {
      const errs = isValidPortName(port.name);
      for (const m of errs) out.errors.push(invalid(`${p}.name`, port.name, m));
      if (errs.length === 0) {
        if (names.has(port.name)) out.errors.push(duplicate(`${p}.name`, port.name));
        names.add(port.name);
      }
    }
    const cp = port.containerPort;
    if (cp === undefined || cp === null || cp === 0) {
      out.errors.push(required(`${p}.containerPort`));
    } else if (isInt(cp)) {
      for (const m of isValidPortNum(cp)) out.errors.push(invalid(`${p}.containerPort`, cp, m));
    }
    if (isInt(port.hostPort) && port.hostPort !== 0) {
      for (const m of isValidPortNum(port.hostPort)) {
        out.errors.push(invalid(`${p}.hostPort`, port.hostPort, m));
      }
    }
    if (typeof port.protocol === 'string' && !PROTOCOLS.includes(port.protocol)) {
      out.errors.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    }
  });
}

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const isHugePages = (name: string) => name.startsWith('hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

/** Resource names, quantities, and requests ≤ limits. */
function validateResources(resources: unknown, path: string, out: Findings): void {
  if (!isObject(resources)) return;
  const parsed: Record<'limits' | 'requests', Map<string, bigint>> = {
    limits: new Map(),
    requests: new Map(),
  };
  for (const which of ['limits', 'requests'] as const) {
    const rl = resources[which];
    if (!isObject(rl)) continue;
    for (const [name, value] of Object.entries(rl)) {
      const p = `${path}.${which}[${name}]`;
      if (name.includes('/')) {
        for (const m of isLabelKey(name)) out.errors.push(invalid(p, name, m));
        out.warnings.push(`${p}: extended resources are not supported by Starling; ignored`);
      } else if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !isHugePages(name)) {
        out.errors.push(invalid(p, name, 'must be a standard resource type or fully qualified'));
        out.errors.push(invalid(p, name, 'must be a standard resource for containers'));
        continue;
      } else if (name !== 'cpu' && name !== 'memory') {
        out.warnings.push(`${p}: not supported by Starling; ignored`);
      }
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number') continue; // shape error
      let milli: bigint;
      try {
        milli = parseQuantity(value).milli;
      } catch (e) {
        out.errors.push(invalid(p, value, e instanceof Error ? e.message : String(e)));
        continue;
      }
      if (milli < 0n) {
        out.errors.push(invalid(p, canonicalQuantity(value), NON_NEGATIVE));
        continue;
      }
      parsed[which].set(name, milli);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    const overcommit = isNative(name) && !isHugePages(name);
    const req = canonicalQuantity(String((resources.requests as Obj)[name]));
    if (limit === undefined) {
      const limits = resources.limits;
      if (
        !overcommit && !(isObject(limits) && limits[name] !== undefined && limits[name] !== null)
      ) {
        out.errors.push(
          required(`${path}.limits`, 'Limit must be set for non overcommitable resources'),
        );
      }
      continue;
    }
    const lim = canonicalQuantity(String((resources.limits as Obj)[name]));
    if (!overcommit && request !== limit) {
      out.errors.push(invalid(`${path}.requests`, req, `must be equal to ${name} limit of ${lim}`));
    } else if (request > limit) {
      out.errors.push(
        invalid(`${path}.requests`, req, `must be less than or equal to ${name} limit of ${lim}`),
      );
    }
  }
}

function validateVolumeMounts(mounts: unknown, path: string, volumes: Set<string>, out: Findings) {
  const paths = new Set<string>();
  list(mounts).forEach((m, i) => {
    if (!isObject(m)) return;
    const p = `${path}[${i}]`;
    if (typeof m.name !== 'string' || m.name === '') out.errors.push(required(`${p}.name`));
    else if (!volumes.has(m.name)) out.errors.push(notFound(`${p}.name`, m.name));
    const mp = m.mountPath;
    if (typeof mp !== 'string' || mp === '') {
      out.errors.push(required(`${p}.mountPath`));
    } else {
      if (!mp.startsWith('/')) {
        out.errors.push(invalid(`${p}.mountPath`, mp, 'must be an absolute path'));
      }
      if (paths.has(mp)) out.errors.push(invalid(`${p}.mountPath`, mp, 'must be unique'));
      paths.add(mp);
    }
    if (typeof m.subPath === 'string' && m.subPath !== '') {
      if (m.subPath.startsWith('/')) {
        out.errors.push(invalid(`${p}.subPath`, m.subPath, 'must be a relative path'));
      }
      if (m.subPath.split('/').includes('..')) {
        out.errors.push(invalid(`${p}.subPath`, m.subPath, "must not contain '..'"));
      }
    }
  });
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

function validateProbePort(port: unknown, path: string, out: Findings): void {
  if (port === undefined || port === null) {
    out.errors.push(required(path));
  } else if (isInt(port)) {
    for (const m of isValidPortNum(port)) out.errors.push(invalid(path, port, m));
  } else if (typeof port === 'string') {
    for (const m of isValidPortName(port)) out.errors.push(invalid(path, port, m));
  }
}

/** Probes: exactly one handler, non-negative timings, successThreshold 1 for liveness/startup. */
function validateProbe(probe: unknown, path: string, mustSucceedOnce: boolean, out: Findings) {
  if (!isObject(probe)) return;
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) out.errors.push(required(path, 'must specify a handler type'));
  for (const h of handlers.slice(1)) {
    out.errors.push(forbidden(`${path}.${h}`, 'may not specify more than 1 handler type'));
  }
  for (
    const f of [
      'initialDelaySeconds',
      'timeoutSeconds',
      'periodSeconds',
      'successThreshold',
      'failureThreshold',
    ]
  ) {
    const v = probe[f];
    if (isInt(v) && v < 0) out.errors.push(invalid(`${path}.${f}`, v, NON_NEGATIVE));
  }
  if (mustSucceedOnce && isInt(probe.successThreshold) && probe.successThreshold !== 1) {
    out.errors.push(invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (isObject(probe.exec) && list(probe.exec.command).length === 0) {
    out.errors.push(required(`${path}.exec.command`));
  }
  if (isObject(probe.httpGet)) {
    validateProbePort(probe.httpGet.port, `${path}.httpGet.port`, out);
    const scheme = probe.httpGet.scheme;
    if (typeof scheme === 'string' && scheme !== '' && !['HTTP', 'HTTPS'].includes(scheme)) {
      out.errors.push(notSupported(`${path}.httpGet.scheme`, scheme, ['HTTP', 'HTTPS']));
    }
  }
  if (isObject(probe.tcpSocket)) {
    validateProbePort(probe.tcpSocket.port, `${path}.tcpSocket.port`, out);
  }
}
