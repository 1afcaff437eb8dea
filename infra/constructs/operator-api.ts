import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IamRoleMap } from '../../functions/operator-api/identity.js';

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
  /**
   * Break-glass: the same function behind a second HTTP API with the `AWS_IAM` authorizer, for
   * when the JWT issuer's region is down. Only the roles named get `execute-api:Invoke` on it.
   */
  readonly breakGlass?: { readonly iamRoles: IamRoleMap };
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
  /** The break-glass API (`AWS_IAM` authorizer), when configured. */
  readonly breakGlassApi: HttpApi | undefined;
  /** The policy that lets the configured roles, and only them, invoke the break-glass API. */
  readonly breakGlassInvoke: ManagedPolicy | undefined;

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
    const breakGlass = props.breakGlass
      ? this.addBreakGlass(props.handler, props.breakGlass.iamRoles, props)
      : undefined;
    this.breakGlassApi = breakGlass?.api;
    this.breakGlassInvoke = breakGlass?.invoke;
  }

  /**
   * The break-glass API: `ANY /{proxy+}` to the same function with the `AWS_IAM` authorizer (the
   * caller's principal arrives in `requestContext.authorizer.iam`; the handler maps its role), a
   * throttled stage logging to the same group, and one managed policy granting
   * `execute-api:Invoke` on this API's stage to the configured roles only.
   */
  private addBreakGlass(
    handler: IFunction,
    iamRoles: IamRoleMap,
    props: OperatorApiProps,
  ): { api: HttpApi; invoke: ManagedPolicy } {
    const api = new HttpApi(this, 'BreakGlassHttpApi', {
      apiName: 'Switchyard-OperatorApi-BreakGlass',
      description:
        'Switchyard operator API, break-glass: the same routes with IAM (SigV4) auth, no identity provider',
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    api.addRoutes({
      path: '/{proxy+}',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('BreakGlassIntegration', handler),
    });
    new HttpStage(this, 'BreakGlassStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...props.throttle },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
    const roles = Object.keys(iamRoles).map((arn, index) =>
      Role.fromRoleArn(this, `BreakGlassRole${index}`, arn, { mutable: true }),
    );
    const invoke = new ManagedPolicy(this, 'BreakGlassInvoke', {
      description:
        'Switchyard break-glass: invoke the operator API with SigV4 (roles from the deployment config)',
      statements: [
        new PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: [api.arnForExecuteApi(undefined, undefined, '$default')],
        }),
      ],
      roles,
    });
    return { api, invoke };
  }

  /** The URL of the default stage. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
