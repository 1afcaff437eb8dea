import { arcRoutingControls } from '../aws/arc.js';
import { dnsAnswers } from '../aws/dns.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficBatches } from '../aws/traffic-batches.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { shiftTraffic } from '../runbook/traffic.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('ShiftTraffic', shiftTraffic, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
  trafficBatches: trafficBatches(c),
}));
