import { describe, expect, it } from 'vitest';
import { describeAgent, formatBytes, timeAgo } from './format';

describe('format (the dashboard)', () => {
  it('shows sizes in decimal units like phones do', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(5e9)).toBe('5.0 GB');
    expect(formatBytes(250e9)).toBe('250 GB');
  });

  it('says how long ago', () => {
    const now = 1_000_000_000_000;
    expect(timeAgo(now - 10_000, now)).toBe('just now');
    expect(timeAgo(now - 60_000, now)).toBe('1 minute ago');
    expect(timeAgo(now - 3 * 3_600_000, now)).toBe('3 hours ago');
  });

  it('names user agents the way a person would', () => {
    expect(describeAgent('node')).toBe('Nimbus app');
    expect(describeAgent(null)).toBe('Nimbus app');
    expect(describeAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(describeAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(describeAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox on Windows');
  });
});
