import type { AwsCall, AwsService } from '../functions/aws/clients.js';
import { InvalidInputError } from '../functions/core/errors.js';

/**
 * The documented API quotas a mass failover runs into, as token buckets on the virtual clock, per
 * account (the sandbox has one: 111111111111) and per region, endpoint or operation as AWS scopes
 * them. Each bucket holds at most `burst` tokens and refills at `refillPerSecond`; a call takes one
 * token or is refused with the service's throttling error, which the SDK's retry strategy (modelled
 * in `sandbox/aws/simulator.ts`) retries with its throttling backoff.
 *
 * Where AWS publishes no number the rule says so, and the number is {@link UNPUBLISHED}: one
 * conservative choice, in one place.
 */
export interface QuotaRule {
  /** A stable name, e.g. `rds-api`: the key of reports and of the docs' table. */
  readonly id: string;
  readonly service: AwsService;
  /** The operations the bucket meters; absent: every operation of the service. */
  readonly operations?: readonly string[];
  /**
   * What one bucket is shared by: the whole account (Route 53 is global), the account in a
   * region, each API operation of the account, or each endpoint (ARC cluster endpoints).
   */
  readonly per: 'account' | 'region' | 'operation' | 'endpoint';
  /** Bucket size and refill per second (profile seconds) for a call to `region`. */
  readonly limit: (region: string) => { readonly burst: number; readonly refillPerSecond: number };
  /** The error code AWS answers a throttled call with. */
  readonly error: string;
  /** The AWS page (title and URL) the numbers come from, or why there is none. */
  readonly source: string;
}

/**
 * The one choice for an API whose throttling AWS documents without numbers (today: Amazon EC2 Auto
 * Scaling's): the request-rate bucket Amazon EC2 publishes for a non-mutating action
 * (`DescribeHosts`: "a bucket maximum capacity of 100 tokens" and "a bucket refill rate of 20
 * tokens per second"; Amazon EC2 Developer Guide, "Request throttling for the Amazon EC2 API",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). Conservative where it
 * is used: one bucket shared by every operation of the service in a region (EC2 gives each API
 * its own), mutating ones included.
 */
export const UNPUBLISHED = { burst: 100, refillPerSecond: 20 } as const;

/** Regions whose Step Functions quotas are the higher tier (Step Functions service quotas page). */
const SFN_HIGH_TIER = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);

const ROUTE53_THROTTLING =
  'Route 53 Developer Guide, "Throttling for Amazon Route 53 API requests", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html';
/**
 * The Step Functions figures are quoted from the last published source of the developer guide,
 * `doc_source/limits-overview.md` ("Quotas") in github.com/awsdocs/aws-step-functions-developer-guide
 * (the repository AWS archived when it moved the guide; the page is now "Step Functions service
 * quotas"). The live page could not be read in full when this was checked (2026-11-30); it adds
 * "New AWS accounts have reduced state transition quotas. AWS raises these quotas automatically
 * based on your usage."
 */
const SFN_QUOTAS =
  'Step Functions Developer Guide, "Step Functions service quotas" (Quotas related to API action throttling; Quotas related to state throttling), https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html';

/** Every modelled quota (docs/architecture.md, "API quotas", lists them with their sources). */
export const QUOTAS: readonly QuotaRule[] = [
  {
    // The page's request-rate table, row "All Amazon Route 53 API operations combined (account
    // level)": bucket maximum capacity 50, refill rate 10 per second. (Checked 2026-11-30; the
    // figures were read in the page's translated copies, the English table not being readable
    // here.) "Route 53 applies two independent limits": the second, "Change throughput: the number
    // of individual DNS record changes per second", is not modelled: a failover changes one or two
    // records.
    id: 'route53-account',
    service: 'route53',
    per: 'account',
    limit: () => ({ burst: 50, refillPerSecond: 10 }),
    error: 'Throttling',
    source: ROUTE53_THROTTLING,
  },
  {
    // "Any API operation not listed below (default per operation)": 50 and 10; ChangeResourceRecordSets,
    // GetChange and ListResourceRecordSets are not listed. (GetHealthCheckStatus is, at 4 and 1;
    // nothing here calls it to decide anything, and its own bucket is not modelled.)
    id: 'route53-operation',
    service: 'route53',
    per: 'operation',
    limit: () => ({ burst: 50, refillPerSecond: 10 }),
    error: 'Throttling',
    source: ROUTE53_THROTTLING,
  },
  {
    // "Number of mutating API calls to a cluster endpoint, per second | 3". The burst is not
    // published: one second's worth.
    id: 'arc-endpoint-mutations',
    service: 'arc',
    operations: ['UpdateRoutingControlState', 'UpdateRoutingControlStates'],
    per: 'endpoint',
    limit: () => ({ burst: 3, refillPerSecond: 3 }),
    error: 'ThrottlingException',
    source:
      'ARC Developer Guide, "Quotas for routing control", https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.quotas.html',
  },
  {
    // "By default, you can make up to 300 requests in a burst and a sustained 12 requests per
    // second"; "Amazon RDS throttles API requests for each AWS account in each AWS Region", one
    // bucket for every RDS (and Aurora) API operation.
    id: 'rds-api',
    service: 'rds',
    per: 'region',
    limit: () => ({ burst: 300, refillPerSecond: 12 }),
    error: 'ThrottlingException',
    source:
      'Amazon RDS User Guide, "Request throttling for the Amazon RDS API", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html',
  },
  {
    // Amazon EC2 Auto Scaling throttles per account and region, every operation from one bucket,
    // and publishes no rate: "all Amazon EC2 Auto Scaling API calls have a single, shared API
    // limit" (AWS Knowledge Center, "Why are my Amazon EC2 Auto Scaling API calls throttled?",
    // https://repost.aws/knowledge-center/autoscaling-api-calls-throttled); the user guide's
    // "Quotas for Auto Scaling resources and groups" lists no API rate. Searched again 2026-11-30.
    id: 'autoscaling-api',
    service: 'autoscaling',
    per: 'region',
    limit: () => UNPUBLISHED,
    error: 'Throttling',
    source:
      'not published (AWS Knowledge Center, "Why are my Amazon EC2 Auto Scaling API calls throttled?", https://repost.aws/knowledge-center/autoscaling-api-calls-throttled: one shared bucket per account per Region, no number; Amazon EC2 Auto Scaling User Guide, "Quotas for Auto Scaling resources and groups", https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html, lists no API rate): the UNPUBLISHED bucket',
  },
  {
    // Standard: "StartExecution — In US East (N. Virginia), US West (Oregon), and Europe (Ireland)
    // | 1,300 | 300" and "StartExecution — All other regions | 800 | 150" (bucket size, refill
    // rate per second); "Throttling quotas are per account, per AWS Region".
    id: 'sfn-start-execution',
    service: 'sfn',
    operations: ['StartExecution'],
    per: 'region',
    limit: (region) =>
      SFN_HIGH_TIER.has(region)
        ? { burst: 1_300, refillPerSecond: 300 }
        : { burst: 800, refillPerSecond: 150 },
    error: 'ThrottlingException',
    source: SFN_QUOTAS,
  },
];

/**
 * Step Functions' state-transition bucket for Standard workflows: "`StateTransition` — In US East
 * (N. Virginia), US West (Oregon), and Europe (Ireland) | 5,000 | 1,500" and "`StateTransition` —
 * All other regions | 800 | 500" (bucket size, refill rate per second; {@link SFN_QUOTAS}). A
 * throttled transition is delayed, not failed ("Throttling on the `StateTransition` service metric
 * is reported as `ExecutionThrottled`"): the runtime waits for a token.
 */
export const SFN_STATE_TRANSITIONS: QuotaRule = {
  id: 'sfn-state-transitions',
  service: 'sfn',
  per: 'region',
  limit: (region) =>
    SFN_HIGH_TIER.has(region)
      ? { burst: 5_000, refillPerSecond: 1_500 }
      : { burst: 800, refillPerSecond: 500 },
  error: 'ThrottlingException',
  source: SFN_QUOTAS,
};

/**
 * How long Route 53 takes to process a change batch before it can take the next one for the same
 * hosted zone; a change arriving sooner gets `PriorRequestNotComplete` ("If Route 53 can't process
 * a request before the next request arrives, it will reject subsequent requests for the same hosted
 * zone", Route 53 API Reference, ChangeResourceRecordSets, Errors,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
 * AWS publishes no duration: one second (profile time) is our conservative choice.
 */
export const ROUTE53_CHANGE_PROCESSING_MS = 1_000;

/**
 * Lambda concurrent executions per account per region: 1,000 by default (Lambda Developer Guide,
 * "Lambda quotas", Concurrent executions: "1,000",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * Beyond it an invoke is refused with `TooManyRequestsException` (`sandbox/runtime/lambda.ts`).
 */
export const LAMBDA_CONCURRENT_EXECUTIONS = 1_000;

/** How much one quota was used in a run, for reports and the bench. */
export interface QuotaUsage {
  readonly quota: string;
  /** The bucket's scope: a region, an endpoint, an operation, or `account`. */
  readonly scope: string;
  readonly admitted: number;
  readonly throttled: number;
  /** The most calls admitted within one second (profile seconds). */
  readonly peakPerSecond: number;
  /** The sustained limit, calls per second. */
  readonly limitPerSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
  readonly burst: number;
  /** Tokens per virtual ms. */
  readonly perMs: number;
  admitted: number;
  throttled: number;
  second: number;
  inSecond: number;
  peak: number;
  readonly rule: QuotaRule;
  readonly scope: string;
  readonly limitPerSecond: number;
}

/** A quota's limits set by a scenario instead of the modelled ones (`quotas` of a scenario). */
export interface QuotaLimit {
  readonly burst: number;
  readonly refillPerSecond: number;
}

/**
 * The modelled quotas with some limits replaced, by quota id (a scenario's `quotas`: an account
 * whose limit AWS raised, or a test that reaches a limit with a few apps). Every region gets the
 * replaced limit.
 * @throws InvalidInputError an id that is no modelled quota's
 */
export function withLimits(overrides: Readonly<Record<string, QuotaLimit>> = {}): readonly QuotaRule[] {
  const unknown = Object.keys(overrides).filter((id) => !QUOTAS.some((q) => q.id === id));
  if (unknown.length > 0)
    throw new InvalidInputError(
      `quotas: got ${unknown.join(', ')}, expected quota ids of ${QUOTAS.map((q) => q.id).join(', ')}`,
    );
  return QUOTAS.map((rule) => {
    const limit = overrides[rule.id];
    return limit ? { ...rule, limit: () => limit } : rule;
  });
}

/**
 * The token buckets of one simulated account. `timeScale` is the latency profile's (1 for
 * realistic; the fast profile runs everything `1 / timeScale` times faster, its quotas too, so
 * that the same run hits the same limits in either profile).
 */
export class QuotaBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly timeScale = 1,
    private readonly rules: readonly QuotaRule[] = QUOTAS,
  ) {}

  /**
   * Takes a token from every bucket that meters `call` and returns the first rule whose bucket was
   * empty (the call is then throttled, and takes no token from any bucket), or undefined.
   */
  admit(call: Pick<AwsCall, 'service' | 'region' | 'operation' | 'endpoint'>): QuotaRule | undefined {
    const buckets = this.rules
      .filter((r) => r.service === call.service && (r.operations?.includes(call.operation) ?? true))
      .map((rule) => this.bucket(rule, call));
    const now = this.now();
    for (const b of buckets) this.refill(b, now);
    const empty = buckets.find((b) => b.tokens < 1);
    if (empty) {
      empty.throttled++;
      return empty.rule;
    }
    for (const b of buckets) this.take(b, now);
    return undefined;
  }

  /**
   * Takes `count` tokens of `rule`'s bucket for `region` and returns how long (virtual ms) the
   * caller must wait for them: 0 when the bucket had them. For quotas AWS enforces by delaying
   * work (Step Functions state transitions), not by refusing it.
   */
  delayFor(rule: QuotaRule, region: string, count: number): number {
    if (count <= 0) return 0;
    const b = this.bucket(rule, { region, operation: '' });
    const now = this.now();
    this.refill(b, now);
    b.tokens -= count;
    for (let i = 0; i < count; i++) this.count(b, now);
    return b.tokens >= 0 ? 0 : Math.ceil(-b.tokens / b.perMs);
  }

  /** Every bucket used so far, busiest first. */
  usage(): QuotaUsage[] {
    return [...this.buckets.values()]
      .map((b) => ({
        quota: b.rule.id,
        scope: b.scope,
        admitted: b.admitted,
        throttled: b.throttled,
        peakPerSecond: b.peak,
        limitPerSecond: b.limitPerSecond,
      }))
      .sort((a, b) => b.peakPerSecond - a.peakPerSecond || a.quota.localeCompare(b.quota));
  }

  private bucket(rule: QuotaRule, call: Pick<AwsCall, 'region' | 'operation' | 'endpoint'>): Bucket {
    const scope =
      rule.per === 'account'
        ? 'account'
        : rule.per === 'operation'
          ? call.operation
          : rule.per === 'endpoint'
            ? (call.endpoint ?? call.region)
            : call.region;
    const key = `${rule.id}|${scope}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { burst, refillPerSecond } = rule.limit(call.region);
      bucket = {
        tokens: burst,
        at: this.now(),
        burst,
        perMs: refillPerSecond / (1000 * this.timeScale),
        admitted: 0,
        throttled: 0,
        second: -1,
        inSecond: 0,
        peak: 0,
        rule,
        scope,
        limitPerSecond: refillPerSecond,
      };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private refill(b: Bucket, now: number): void {
    b.tokens = Math.min(b.burst, b.tokens + (now - b.at) * b.perMs);
    b.at = now;
  }

  private take(b: Bucket, now: number): void {
    b.tokens -= 1;
    this.count(b, now);
  }

  private count(b: Bucket, now: number): void {
    b.admitted++;
    const second = Math.floor(now / (1000 * this.timeScale));
    if (second !== b.second) {
      b.second = second;
      b.inSecond = 0;
    }
    b.inSecond++;
    b.peak = Math.max(b.peak, b.inSecond);
  }
}
