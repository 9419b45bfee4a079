import { CAUSES, SERVICES, type Cause } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { affectedServices, isStopped, laneFor, LANES, lanesOf, lanesStoppedBy } from './lanes.js';

describe('lanes', () => {
  it('are ordered essential → photo metadata → drive → photo originals → backups', () => {
    expect(LANES).toEqual(['essential', 'photo-metadata', 'drive', 'photo-originals', 'backups']);
  });

  it('put every service in at least one lane and photos in two', () => {
    for (const s of SERVICES) expect(lanesOf(s).length).toBeGreaterThan(0);
    expect(lanesOf('photos')).toEqual(['photo-metadata', 'photo-originals']);
    expect(lanesOf('passwords')).toEqual(['essential']);
    expect(laneFor('photos', 'original')).toBe('photo-originals');
    expect(laneFor('photos')).toBe('photo-metadata');
    expect(laneFor('notes')).toBe('essential');
    expect(laneFor('backups')).toBe('backups');
  });

  it('QUOTA_EXCEEDED stops uploads of the heavy lanes only; downloads go on', () => {
    const stops = lanesStoppedBy({ cause: 'QUOTA_EXCEEDED' });
    expect(stops.map((s) => s.lane)).toEqual(['drive', 'photo-originals', 'backups']);
    expect(isStopped(stops, 'drive', 'upload')).toBe(true);
    expect(isStopped(stops, 'drive', 'download')).toBe(false);
    expect(isStopped(stops, 'essential', 'upload')).toBe(false);
    expect(isStopped(stops, 'photo-metadata', 'upload')).toBe(false);
    expect(affectedServices('QUOTA_EXCEEDED')).toEqual(['photos', 'drive', 'backups']);
  });

  it('QUOTA_EXCEEDED stops photo metadata and the essential lane only when they failed too', () => {
    const stops = lanesStoppedBy({ cause: 'QUOTA_EXCEEDED' }, ['photo-metadata']);
    expect(isStopped(stops, 'photo-metadata', 'upload')).toBe(true);
    expect(isStopped(stops, 'essential', 'upload')).toBe(false);
    expect(affectedServices('QUOTA_EXCEEDED', ['essential'])).toEqual(SERVICES);
  });

  it('LOCAL_STORAGE_FULL stops downloads everywhere and no uploads', () => {
    const stops = lanesStoppedBy({ cause: 'LOCAL_STORAGE_FULL' });
    for (const lane of LANES) {
      expect(isStopped(stops, lane, 'download')).toBe(true);
      expect(isStopped(stops, lane, 'upload')).toBe(false);
    }
  });

  it('network, auth, clock and server causes stop every lane both ways', () => {
    const others = Object.values(CAUSES).filter((c): c is Cause => c !== 'QUOTA_EXCEEDED' && c !== 'LOCAL_STORAGE_FULL');
    for (const cause of others) {
      const stops = lanesStoppedBy({ cause });
      for (const lane of LANES) {
        expect(isStopped(stops, lane, 'upload')).toBe(true);
        expect(isStopped(stops, lane, 'download')).toBe(true);
      }
      expect(affectedServices(cause)).toEqual(SERVICES);
    }
  });
});
