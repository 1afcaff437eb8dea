import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../console/build.js';
import { writeConsoleSite } from '../console-site.js';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from '../lambda-code.js';
import { REPO_ROOT } from '../paths.js';

export interface ConsoleSiteProps {
  /** What the page is told: OIDC issuer and client, and this region. */
  readonly config: ConsoleConfig;
  readonly logRetention: RetentionDays;
}

/**
 * The operator console of one region: a Lambda that serves the page and its bundle from its own
 * package (built at synth by the project's esbuild, with this region's sign-in config inlined).
 * It reads nothing and may do nothing but write its logs.
 */
export class ConsoleSite extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Switchyard console: serves static files, writes its own logs',
    });
    this.logGroup.grantWrite(role);
    // CDK caches a staged asset by its options, serialized, which drops `tryBundle` (a function):
    // the config is a field so that it is in the key (without it, every region's console got the
    // first region's page).
    const local = {
      config: props.config,
      tryBundle(outputDir: string) {
        writeConsoleSite(outputDir, props.config);
        return true;
      },
    };
    this.function = new LambdaFunction(this, 'Function', {
      functionName: 'Switchyard-Console',
      description: "Switchyard operator console: the page and its bundle, on the operator API's origin",
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      handler: 'index.handler',
      memorySize: 256,
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      code: Code.fromAsset(`${REPO_ROOT}console`, {
        // The package's hash is the built output's: a new bundle or config is a new version.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Local bundling always succeeds here; CDK requires an image to fall back to.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20'),
          local,
        },
      }),
    });
  }
}
