import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface OperatorApiProps {
  readonly handler: IFunction;
  /** Bearer JWTs are checked by API Gateway (signature, issuer, audience, expiry) before the handler. */
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: RetentionDays;
  /**
   * The console's function: `GET /` and `GET /assets/{proxy+}` go to it without the JWT
   * authorizer (a browser loads the page before anyone has signed in; the files hold no data).
   */
  readonly console?: IFunction;
}

/** The console's routes on the API (more specific than `/{proxy+}`, so they win). */
export const CONSOLE_ROUTE_PATHS = ['/', '/assets/{proxy+}'] as const;

/** One JSON line per request: who (JWT subject), what route, the outcome and why it failed. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    subject: '$context.authorizer.claims.sub',
    authorizerError: '$context.authorizer.error',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The operator API of one region: an HTTP API whose every route (`ANY /{proxy+}`) goes to the
 * operator-api function behind a JWT authorizer; the handler does its own routing and role checks.
 */
export class OperatorApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    const authorizer = new HttpJwtAuthorizer('OperatorJwt', props.jwt.issuer, {
      jwtAudience: [...props.jwt.audience],
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'Switchyard-OperatorApi',
      description: 'Switchyard operator API: status, failover requests, approvals',
      defaultAuthorizer: authorizer,
      // The default stage is created below, with access logs and throttling.
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('OperatorApiIntegration', props.handler),
    });
    if (props.console) {
      const integration = new HttpLambdaIntegration('ConsoleIntegration', props.console);
      for (const path of CONSOLE_ROUTE_PATHS) {
        this.api.addRoutes({
          path,
          methods: [HttpMethod.GET, HttpMethod.HEAD],
          integration,
          authorizer: new HttpNoneAuthorizer(),
        });
      }
    }
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...props.throttle },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
  }

  /** The URL of the default stage. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
