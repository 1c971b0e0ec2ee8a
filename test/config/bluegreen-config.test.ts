import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { BLUE, GREEN, ROUTE, blueGreenProd } from '../support/bluegreen.js';
import { defaultConfigData } from '../support/harness.js';

/** What `config load` says about a blue-green deploy that cannot work: where, and what is wrong. */
function issues(edit: (prod: Record<string, any>, data: Record<string, any>) => void): string[] {
  const data = defaultConfigData();
  data.deployRepo.url = '/tmp/deploy.git';
  blueGreenProd(data);
  edit(data.apps.web.deploy.prod, data);
  const parsed = ConfigSchema.safeParse(data);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('blue-green config', () => {
  it('loads a blue-green prod with shift principals and approvals.shift', () => {
    expect(issues((_, d) => {
      d.environments.prod.shift = ['leads'];
      d.environments.prod.approvals = { required: 1, from: ['leads'], shift: 'first' };
    })).toEqual([]);
  });

  it('refuses a file in both colours, the traffic file among the colours, and an unknown image', () => {
    expect(issues((prod) => prod.green.push({ file: BLUE, format: 'kubernetes' }))).toEqual([
      `apps.web.deploy.prod.green.1.file: ${BLUE} is in both colours: each colour needs files of its own`,
    ]);
    expect(issues((prod) => (prod.traffic.file = GREEN))).toEqual([
      `apps.web.deploy.prod.traffic.file: ${GREEN} carries a colour's images: the traffic split needs a file of its own`,
    ]);
    expect(issues((prod) => (prod.blue[0].images = ['nope']))).toEqual([`apps.web.deploy.prod.blue.0.images.0: image "nope" is not one of app web's images`]);
  });

  it('refuses a strategy it does not know, a colour without files, and approvals.shift it does not know', () => {
    expect(issues((prod) => (prod.strategy = 'canary'))).not.toEqual([]);
    expect(issues((prod) => (prod.green = []))).not.toEqual([]);
    expect(issues((_, d) => (d.environments.prod.approvals = { required: 1, shift: 'sometimes' }))).toEqual([
      expect.stringMatching(/^environments\.prod\.approvals\.shift: /),
    ]);
    expect(issues((prod) => (prod.traffic = { file: ROUTE, format: 'httproute' }))).not.toEqual([]);
  });
});
