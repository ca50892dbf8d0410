// @vitest-environment jsdom
// The approval card: the three decisions send what the API expects; a decision made elsewhere
// (arriving as a new state) replaces the buttons with the outcome.
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestCard } from '../src/components/RequestCard';
import type { RequestView } from '../src/state/transcript';
import { approval } from './fixtures';

afterEach(cleanup);

const pending = (over: Partial<RequestView> = {}): RequestView => ({
  req: approval('r1'),
  status: 'pending',
  response: null,
  decidedBy: null,
  reason: null,
  ...over,
});

describe('approval card', () => {
  it('sends approve, approve for session and deny as decisions', async () => {
    const decide = vi.fn(async () => null);
    const { container } = render(<RequestCard r={pending()} decide={decide} />);
    expect(container.querySelector('.request-detail')?.textContent).toBe('echo hi');
    for (const cls of ['approve', 'approve-session', 'deny']) {
      await act(async () => {
        fireEvent.click(container.querySelector(`button.${cls}`)!);
      });
    }
    expect(decide.mock.calls).toEqual([
      ['r1', { decision: 'accept' }],
      ['r1', { decision: 'accept', scope: 'session' }],
      ['r1', { decision: 'decline' }],
    ]);
  });

  it('shows a decision made elsewhere, and an expiry', () => {
    const decide = vi.fn(async () => null);
    const { container, rerender } = render(<RequestCard r={pending()} decide={decide} />);
    rerender(<RequestCard r={pending({ status: 'resolved', response: { decision: 'decline' }, decidedBy: 'cli' })} decide={decide} />);
    expect(container.querySelectorAll('button')).toHaveLength(0);
    expect(container.querySelector('.request-outcome')?.textContent).toBe('Denied by cli');
    expect(container.querySelector('.request')?.getAttribute('data-decision')).toBe('decline');
    rerender(<RequestCard r={pending({ status: 'expired', reason: 'turn_completed' })} decide={decide} />);
    expect(container.querySelector('.request-outcome')?.textContent).toBe('Expired: the turn ended first');
  });

  it('a conflict answer (decided elsewhere first) is shown on the card', async () => {
    const decide = vi.fn(async () => 'Already decided elsewhere (conflict).');
    const { container } = render(<RequestCard r={pending()} decide={decide} />);
    await act(async () => {
      fireEvent.click(container.querySelector('button.approve')!);
    });
    expect(container.querySelector('.form-error')?.textContent).toContain('Already decided elsewhere');
  });

  it('a question card answers with the chosen option', async () => {
    const decide = vi.fn(async () => null);
    const q = {
      ...approval('r2'),
      kind: 'userInput' as const,
      params: { questions: [{ id: 'color', header: 'Color', question: 'Which color?', options: [{ label: 'Blue' }, { label: 'Red' }] }] },
    };
    const { container, getByText } = render(<RequestCard r={pending({ req: q })} decide={decide} />);
    const submit = container.querySelector('button[type=submit]') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.click(getByText('Red'));
    await act(async () => {
      fireEvent.submit(container.querySelector('form')!);
    });
    expect(decide).toHaveBeenCalledWith('r2', { response: { answers: { color: { answers: ['Red'] } } } });
  });
});
