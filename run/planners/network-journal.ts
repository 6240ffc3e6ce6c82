/**
 * DDPG's networks stored every few episodes instead of every episode. Its actor, critic, their targets and Adam
 * moments are about 3 MB whatever the run's length (AMC's 300x300 networks); written after every episode they were
 * most of the coordinator's store write. Here a checkpoint carries them every `every` episodes (and after the warm
 * start's imitation, which no stored entry replays); between those it carries a journal entry instead: the RNG's state
 * before the episode's learning, the episode's transitions and its reward, a few kilobytes. A resume restores the
 * last stored networks and learns the episodes since again from their entries (`Ddpg.relearn`): learning reads
 * nothing else, so it gives the networks, Adam, replay, baseline, noise and RNG the uninterrupted run had, bit for
 * bit, and the restored state is checked against the last checkpoint's before the run goes on. That state (counters,
 * RNG, baseline) does not depend on the weights, so each episode learnt again must also report the critic loss,
 * actor loss and mean Q the run stored for it, exactly (the same float64s when the replay is bit for bit): networks
 * that differ (another tfjs backend or version than the run's) are refused, not resumed into another run. Either
 * refusal is one line (a RunNotFoundError: the CLI exits 2) and leaves the stored run as it was.
 *
 * run/store/checkpoint-log.ts stores the networks and the entries as rows; this file decides what a checkpoint holds.
 */
import type { Agent, AgentCheckpoint, Transition } from '../../agent/agent.js';
import { Ddpg } from '../../agent/ddpg.js';
import type { RngState } from '../../agent/rng.js';
import { RunNotFoundError } from '../../errors.js';
import type { EpisodeDiagnostics } from '../store/records.js';

/** Episodes between two stored copies of the networks by default: a resume learns at most 24 episodes again. */
export const NETWORK_CHECKPOINT_EVERY = 25;

/** What a resume needs to learn one episode again. */
export interface JournalEntry {
  episode: number;
  rng: RngState;
  reward: number;
  transitions: Transition[];
}

/** An agent checkpoint with its journal: `base` is the episode whose networks are stored. */
export type JournaledCheckpoint = AgentCheckpoint & { journal?: { base: number; entry?: JournalEntry } };

/** A joined checkpoint (run/store/checkpoint-log.ts): the networks' own, the entries since, the state to reach. */
type JoinedCheckpoint = AgentCheckpoint & { journal?: { base: number; relearn: JournalEntry[]; expect: Record<string, unknown> } };

/** What the store holds of an episode's learning: a resume's relearning must report the same. */
export type StoredReport = { episode: number } & Pick<EpisodeDiagnostics, 'criticLoss' | 'actorLoss' | 'meanQ'>;

const REPORTED = [
  ['criticLoss', 'critic loss'],
  ['actorLoss', 'actor loss'],
  ['meanQ', 'mean Q'],
] as const;

/** The state fields a resume must reproduce by learning the stored episodes again. */
const CHECKED = ['episode', 'sigma', 'baseline', 'rng', 'actorAdamStep', 'criticAdamStep', 'replay', 'pending'] as const;

const episodesText = (first: number, last: number) => (first === last ? `episode ${first}` : `episodes ${first} to ${last}`);

export class NetworkJournal {
  /** The episode whose networks the store holds; -1: none yet (the next checkpoint carries them). */
  private base = -1;
  private rngBefore: RngState | null = null;

  constructor(
    private readonly agent: Agent,
    private readonly every = NETWORK_CHECKPOINT_EVERY,
  ) {
    if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`network checkpoints every ${every} episodes: give a whole number >= 1`);
  }

  /** Call before the agent learns an episode: the RNG as learning finds it. */
  beforeLearn(): void {
    this.rngBefore = this.agent instanceof Ddpg ? this.agent.rngState() : null;
  }

  /**
   * The checkpoint after episode `episode` was learnt: with the networks every `every` episodes. A run's first
   * checkpoint (episode 0) always carries them, so what episode 0 does beside learning (a warm start's imitation,
   * which no entry replays) is stored whole.
   */
  async checkpoint(episode: number, reward: number, transitions: Transition[]): Promise<JournaledCheckpoint> {
    const agent = this.agent;
    if (!(agent instanceof Ddpg) || !this.rngBefore) return agent.checkpoint();
    if (this.base < 0 || episode - this.base >= this.every) {
      this.base = episode;
      return { ...(await agent.checkpoint()), journal: { base: episode } };
    }
    const entry: JournalEntry = { episode, rng: this.rngBefore, reward, transitions };
    return { ...(await agent.checkpoint({ networks: false })), journal: { base: this.base, entry } };
  }

  /**
   * Restore a joined checkpoint: its networks, then the episodes since learnt again, checked against the stored state
   * and against `stored`, the run's stored episodes (their learning reports).
   */
  async restore(cp: AgentCheckpoint, stored: readonly StoredReport[]): Promise<void> {
    const { journal, ...whole } = cp as JoinedCheckpoint;
    this.agent.restore(whole);
    if (!journal || !(this.agent instanceof Ddpg)) {
      this.base = -1;
      return;
    }
    const reports = journal.relearn.map((entry) => ({ episode: entry.episode, report: (this.agent as Ddpg).relearn(entry) }));
    const now = (await this.agent.checkpoint({ networks: false })).state;
    for (const f of CHECKED) {
      if (JSON.stringify(now[f]) !== JSON.stringify(journal.expect[f])) {
        // the state follows from the stored entries and the code alone: another autoshrink, or a changed runs.db
        throw new RunNotFoundError(
          `cannot resume: ${journal.relearn.length ? `learning ${episodesText(journal.base + 1, journal.base + journal.relearn.length)} again from` : 'loading'} the stored networks of episode ${journal.base} ` +
            `did not give the stored ${f}, so the run would not go on as it ran; resume it with the autoshrink version it ran with ` +
            `(autoshrink runs show <run> --json lists them), or start a new run with autoshrink search; the run's stored episodes are kept`,
        );
      }
    }
    const byEpisode = new Map(stored.map((e) => [e.episode, e]));
    for (const { episode, report } of reports) {
      const row = byEpisode.get(episode);
      for (const [f, name] of REPORTED) {
        const got = report[f] ?? null;
        const want = row ? row[f] : null;
        // NaN is stored as NULL
        if (!(got === want || (want === null && got !== null && Number.isNaN(got)))) {
          throw new RunNotFoundError(
            `cannot resume: learning episode ${episode} again from the stored networks of episode ${journal.base} gave ${name} ${got} where the run stored ${want}; ` +
              `the networks differ from the run's, most likely another tfjs backend or version than it ran with (autoshrink runs shows them), or a changed runs.db`,
          );
        }
      }
    }
    this.base = journal.base;
  }
}
