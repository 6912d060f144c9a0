/** The app's name and version, from package.json, as the APIs and balancers report them. */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export const APP_VERSION: string = pkg.version;
