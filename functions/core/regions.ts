import { distance } from 'fastest-levenshtein';

/**
 * Every AWS Region a plan may name: the commercial partition (`aws`), AWS GovCloud (US)
 * (`aws-us-gov`) and China (`aws-cn`).
 *
 * Source: the AWS SDK for JavaScript v3's endpoint partitions model (`partitions.json` of
 * `@aws-sdk/core` 3.981.0, `util-endpoints`), which lists each partition's regions, and the AWS
 * documentation page "AWS Regions" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html).
 * The isolated partitions (ISO, ISO-B, ISO-E, ISO-F) and the European Sovereign Cloud are left out:
 * their ARNs and endpoints are not ones Switchyard supports. A test compares this list with the
 * installed SDK's model, so a new region shows up as a failing test, not as a refused plan.
 */
export const AWS_REGIONS = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-6',
    'ap-southeast-7',
    'ca-central-1',
    'ca-west-1',
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'il-central-1',
    'me-central-1',
    'me-south-1',
    'me-west-1',
    'mx-central-1',
    'sa-east-1',
    'sa-west-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** The partitions of {@link AWS_REGIONS}. */
export type AwsPartition = keyof typeof AWS_REGIONS;

/** Every region of {@link AWS_REGIONS}, all partitions together. */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set(Object.values(AWS_REGIONS).flat());

/** A few regions to show as examples in a refusal (one per partition, and then some). */
export const REGION_EXAMPLES = 'us-east-1, eu-west-1, ap-southeast-2, us-gov-west-1 or cn-north-1';

/** Whether `region` is one of {@link AWS_REGIONS} (exact, lower-case name). */
export function isKnownRegion(region: string): boolean {
  return KNOWN_REGIONS.has(region);
}

/**
 * How many single-character edits (insert, delete, replace; a swap of two neighbours is two) a
 * name may be from a region for {@link closestRegion} to suggest it: a typo, not another region.
 */
export const REGION_TYPO_EDITS = 2;

/**
 * The one region of `among` (default every AWS region) nearest to `name` in edit distance
 * (Levenshtein), when it is within {@link REGION_TYPO_EDITS} edits: the "did you mean" of a
 * refusal. Undefined when none is that close, or when two are equally close (`us-east-9` is as
 * near us-east-1 as us-east-2: a guess would mislead), or when `name` is itself one of `among`.
 */
export function closestRegion(name: string, among: Iterable<string> = KNOWN_REGIONS): string | undefined {
  let best: string | undefined;
  let bestEdits = REGION_TYPO_EDITS + 1;
  let tied = false;
  for (const region of among) {
    if (region === name) return undefined;
    const edits = distance(name.toLowerCase(), region);
    if (edits < bestEdits) {
      best = region;
      bestEdits = edits;
      tied = false;
    } else if (edits === bestEdits && region !== best) tied = true;
  }
  return tied ? undefined : best;
}

/** The partition of a known region, or undefined for any other string. */
export function partitionOf(region: string): AwsPartition | undefined {
  for (const [partition, regions] of Object.entries(AWS_REGIONS) as [AwsPartition, readonly string[]][]) {
    if (regions.includes(region)) return partition;
  }
  return undefined;
}

/**
 * Where DynamoDB offers multi-region strong consistency (MRSC): every replica and the witness must
 * be in one of these sets (the same list aws-cdk-lib 2.276 enforces in `TableV2`).
 */
export const MRSC_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
};
