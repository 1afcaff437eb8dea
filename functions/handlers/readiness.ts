import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { dnsAnswers } from '../aws/dns.js';
import { eventPublisher } from '../aws/events.js';
import { readinessResults } from '../aws/readiness-results.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { evaluateReadiness } from '../readiness/scheduled.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

// The ports readiness reads (the observer's, the lock, cooldown and drill reports, the alarms and
// the runbooks) and writes (its results and their events); not the evacuation's, the reconciler's
// or the runbook's task waits.
export const { makeHandler, handler } = stepHandler('Readiness', evaluateReadiness, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  readiness: readinessResults(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
  alarms: cloudWatchAlarms(c.clients),
  stepFunctions: stepFunctions(c.clients),
  events: eventPublisher(c.clients, c.eventBusName),
}));
