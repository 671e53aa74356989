import { describe, expect, it } from 'vitest';
import { StreamSlots } from './stream-slots.js';

describe('live event stream slots', () => {
  it('refuses a token its sixth stream and gives the slot back when one closes', () => {
    const slots = new StreamSlots({ perToken: 5, perProject: 20 });
    const taken = Array.from({ length: 5 }, () => slots.take('tok_a', 'prj_a'));
    expect(taken.every((slot) => 'release' in slot)).toBe(true);
    expect(slots.take('tok_a', 'prj_a')).toEqual({ limit: 'token', max: 5 });
    // Another token of the same project still has its own five.
    expect('release' in slots.take('tok_b', 'prj_a')).toBe(true);
    (taken[0] as { release: () => void }).release();
    expect('release' in slots.take('tok_a', 'prj_a')).toBe(true);
  });

  it('caps a project across its tokens', () => {
    const slots = new StreamSlots({ perToken: 2, perProject: 3 });
    expect('release' in slots.take('tok_a', 'prj_a')).toBe(true);
    expect('release' in slots.take('tok_a', 'prj_a')).toBe(true);
    expect('release' in slots.take('tok_b', 'prj_a')).toBe(true);
    expect(slots.take('tok_c', 'prj_a')).toEqual({ limit: 'project', max: 3 });
    // A refused stream takes nothing: the token it was refused for has none open.
    expect(slots.count('token tok_c')).toBe(0);
    expect('release' in slots.take('tok_c', 'prj_b')).toBe(true);
  });

  it('releases a slot once, however often a closing stream says so', () => {
    const slots = new StreamSlots({ perToken: 1, perProject: 1 });
    const first = slots.take('tok_a', 'prj_a') as { release: () => void };
    first.release();
    first.release();
    const second = slots.take('tok_a', 'prj_a');
    expect('release' in second).toBe(true);
    expect(slots.take('tok_a', 'prj_a')).toEqual({ limit: 'token', max: 1 });
    expect(slots.count('project prj_a')).toBe(1);
  });
});
