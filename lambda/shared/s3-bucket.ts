/**
 * An S3 bucket as the export's `ObjectBucket`. The client is created once per container.
 * `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (read by the SDK itself) points it elsewhere, e.g. at
 * moto_server in the tests; with such an endpoint, keys are addressed by path
 * (`http://host/bucket/key`), as local S3 stand-ins need.
 */
import { createReadStream, statSync } from 'node:fs';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { ObjectBucket } from '../../core/export/to-bucket';

let client: S3Client | undefined;

function s3(env: Record<string, string | undefined>): S3Client {
  client ??= new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) });
  return client;
}

export function s3Bucket(bucket: string, env: Record<string, string | undefined> = process.env): ObjectBucket {
  const c = s3(env);
  return {
    async has(key) {
      try {
        await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if (err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) return false;
        throw err;
      }
    },
    async putFile(key, path) {
      // A stream of known length: the file is never held in memory (single PUT, up to 5 GB).
      await c.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: statSync(path).size,
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
    },
  };
}
