import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { dnsAnswers } from '../aws/dns.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { preflightOrPark } from '../runbook/preflight.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('Preflight', preflightOrPark, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  arc: arcRoutingControls(c.clients, c.random),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  traffic: trafficSwitch(c),
  alarms: cloudWatchAlarms(c.clients),
  // Readiness reads the target's runbook (DescribeStateMachine).
  stepFunctions: stepFunctions(c.clients),
}));
