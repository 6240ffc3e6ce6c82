import { Text } from 'ink';
import { clip } from './format.js';
import type { ViewState } from './state.js';

/** The keys while the run goes on; after a stop, how to continue. */
export function Footer({ state, width }: { state: ViewState; width: number }) {
  let text: string;
  if (state.status === 'stopped' && state.header) text = `stopped; continue with: autoshrink resume ${state.header.runId}`;
  else if (state.status !== 'running' && state.status !== 'starting') return null;
  else if (state.stopRequested) text = 'stopping after this episode…  Ctrl+C to quit now';
  else text = `q stop (resumable)  p ${state.paused ? 'resume' : 'pause'}`;
  return <Text dimColor>{clip(text, width)}</Text>;
}
