import { z } from 'zod';
import { RepoPathSchema } from '../../config/primitives.js';

/**
 * The config of one traffic file of a blue-green app: which file splits traffic between the two
 * colours, in which format, and which backend is which colour. Only zod here, so the config schema
 * can use it without loading the editors (src/gitops/traffic/index.ts).
 */

export const TRAFFIC_FORMATS = ['httproute', 'istio', 'service', 'nginx-canary'] as const;
export const TrafficFormatNameSchema = z.enum(TRAFFIC_FORMATS);
export type TrafficFormatName = z.infer<typeof TrafficFormatNameSchema>;

/** Service names, Istio hosts and subsets, label values: no spaces, quotes or YAML syntax. */
const BackendSchema = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, { message: 'must be a name such as web-blue (letters, digits, . _ -)' });

/** A Kubernetes label key: `[prefix/]name`. */
const LabelKeySchema = z
  .string()
  .max(316)
  .regex(/^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, {
    message: 'must be a label key such as color or app.kubernetes.io/color',
  });

export const TrafficFileSchema = z
  .object({
    file: RepoPathSchema.describe('the file in the deploy repo that splits traffic, e.g. apps/web/prod/route.yaml'),
    format: TrafficFormatNameSchema.describe(
      'how the file splits traffic: httproute (Gateway API backendRefs weights), istio (VirtualService route weights), ' +
        'service (a Service selector: switch only, no weights), nginx-canary (the canary Ingress canary-weight annotation)',
    ),
    blue: BackendSchema.optional().describe(
      'the blue colour\'s backend: httproute and nginx-canary: a Service name; istio: a destination subset (or host when there is no subset); ' +
        'service: the selector value (default blue)',
    ),
    green: BackendSchema.optional().describe('the green colour\'s backend, named like blue (service: default green)'),
    name: BackendSchema.optional().describe(
      'metadata.name of the resource to edit when the file holds several of its kind (default: every one that routes to the colours)',
    ),
    selector: LabelKeySchema.optional().describe('service: the selector key whose value picks the colour (default color)'),
  })
  .strict()
  .superRefine((entry, ctx) => {
    // The Service selector has natural defaults; a route's backends are Service names only the user knows.
    if (entry.format !== 'service') {
      for (const colour of ['blue', 'green'] as const) {
        if (entry[colour] === undefined) {
          ctx.addIssue({ code: 'custom', path: [colour], message: `${entry.format} needs the ${colour} backend's name` });
        }
      }
      if (entry.selector !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['selector'], message: 'selector is an option of format service only' });
      }
    }
    if ((entry.blue ?? 'blue') === (entry.green ?? 'green')) {
      ctx.addIssue({ code: 'custom', path: ['green'], message: 'blue and green must name different backends' });
    }
  })
  .describe(
    'where traffic is split between the colours, e.g. { file: apps/web/prod/route.yaml, format: httproute, blue: web-blue, green: web-green }',
  );
export type TrafficFile = z.infer<typeof TrafficFileSchema>;
