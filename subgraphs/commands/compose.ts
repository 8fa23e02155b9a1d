import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeFromCode, schemaFiles } from '../composition.js';

/** `npm run compose`: writes each subgraph's SDL and the supergraph to schema/. */
const files = schemaFiles(await composeFromCode());
for (const [file, content] of Object.entries(files)) {
  await writeFile(path.join('schema', file), content);
  console.log(`wrote schema/${file}`);
}
