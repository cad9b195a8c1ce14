import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configuredRegion } from '../../lib/deploy-region';

describe('configuredRegion: the region the AWS CLI and CDK use for a deploy', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-config-'));
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  });
  afterEach(() => {
    process.env = { ...saved };
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function configFile(text: string): string {
    // A fresh path per test: the SDK caches what it parsed per file.
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, text);
    process.env.AWS_CONFIG_FILE = file;
    return file;
  }

  it("reads the default profile's region from the config file when no variable names one", async () => {
    configFile('[default]\nregion = us-east-2\n');
    await expect(configuredRegion(process.env)).resolves.toBe('us-east-2');
  });

  it('reads the [profile name] section AWS_PROFILE selects', async () => {
    configFile('[default]\nregion = eu-west-1\n\n[profile trading]\nregion = us-west-2\n');
    process.env.AWS_PROFILE = 'trading';
    await expect(configuredRegion(process.env)).resolves.toBe('us-west-2');
  });

  it('prefers AWS_REGION, then AWS_DEFAULT_REGION, over the profile', async () => {
    configFile('[default]\nregion = us-east-2\n');
    await expect(configuredRegion({ ...process.env, AWS_REGION: 'eu-central-1' })).resolves.toBe('eu-central-1');
    await expect(configuredRegion({ ...process.env, AWS_DEFAULT_REGION: 'ap-northeast-1' })).resolves.toBe('ap-northeast-1');
  });

  it('is undefined when nothing is configured (an offline laptop)', async () => {
    process.env.AWS_CONFIG_FILE = path.join(dir, 'absent');
    await expect(configuredRegion(process.env)).resolves.toBeUndefined();
  });
});
