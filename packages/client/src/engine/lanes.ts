// The lanes of the scheduler, in priority order, and which of them a failure stops.
import { ESSENTIAL_SERVICES, SERVICES, type Cause, type Service } from '@nimbus/protocol';

/** Lanes in the order the scheduler serves them: small vital data first, big transfers last. */
export const LANES = ['essential', 'photo-metadata', 'drive', 'photo-originals', 'backups'] as const;
export type Lane = (typeof LANES)[number];

/** The services whose work runs in each lane. Photos use two: metadata (small) and originals (big). */
export const LANE_SERVICES: Readonly<Record<Lane, readonly Service[]>> = {
  essential: ESSENTIAL_SERVICES,
  'photo-metadata': ['photos'],
  drive: ['drive'],
  'photo-originals': ['photos'],
  backups: ['backups'],
};

/** Which way bytes move in a lane. */
export type Direction = 'upload' | 'download';
export const DIRECTIONS: readonly Direction[] = ['upload', 'download'];

/** One lane a failure stops, and in which directions (the others go on). */
export interface LaneStop {
  readonly lane: Lane;
  readonly directions: readonly Direction[];
}

/** The lanes a service's work runs in: photos have a metadata lane and an originals lane. */
export function lanesOf(service: Service): Lane[] {
  return LANES.filter((lane) => LANE_SERVICES[lane].includes(service));
}

/** The lane for one piece of work; `part` matters only for photos. */
export function laneFor(service: Service, part: 'metadata' | 'original' = 'metadata'): Lane {
  if (service === 'photos') return part === 'original' ? 'photo-originals' : 'photo-metadata';
  if (service === 'drive' || service === 'backups') return service;
  return 'essential';
}

/** Lanes whose uploads a full account stops by itself: the heavy ones. */
const QUOTA_HEAVY: readonly Lane[] = ['drive', 'photo-originals', 'backups'];

/**
 * The lanes a failure stops. `failedLanes` are the lanes whose own requests got the failure:
 * under QUOTA_EXCEEDED, photo metadata and the essential lane go on (the essential allowance)
 * unless they failed too. A full local disk stops downloads only; uploads drain the outbox.
 * Every other cause (network, auth, clock, server) stops every lane both ways.
 */
export function lanesStoppedBy(
  failure: { readonly cause: Cause },
  failedLanes: readonly Lane[] = [],
): LaneStop[] {
  switch (failure.cause) {
    case 'QUOTA_EXCEEDED':
      // Downloads go on: another device deleting things is how space comes back.
      return LANES.filter((lane) => QUOTA_HEAVY.includes(lane) || failedLanes.includes(lane)).map((lane) => ({
        lane,
        directions: ['upload'],
      }));
    case 'LOCAL_STORAGE_FULL':
      return LANES.map((lane) => ({ lane, directions: ['download'] }));
    default:
      return LANES.map((lane) => ({ lane, directions: DIRECTIONS }));
  }
}

/** True when `stops` stop this lane in this direction. */
export function isStopped(stops: readonly LaneStop[], lane: Lane, direction: Direction): boolean {
  return stops.some((stop) => stop.lane === lane && stop.directions.includes(direction));
}

/** The services that wait because of a cause: those with at least one stopped lane, in SERVICES order. */
export function affectedServices(cause: Cause, failedLanes: readonly Lane[] = []): Service[] {
  const stops = lanesStoppedBy({ cause }, failedLanes);
  return SERVICES.filter((service) => stops.some((stop) => LANE_SERVICES[stop.lane].includes(service)));
}
