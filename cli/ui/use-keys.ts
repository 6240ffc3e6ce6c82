import { useInput, useStdin } from 'ink';
import { useRef } from 'react';

/**
 * The live view's keys: `q` asks the run to stop after the current episode (it stays resumable), `p` toggles pause.
 * Ctrl+C also asks to stop; once a stop was asked, Ctrl+C calls `onForceQuit` (when given) for a user who will not
 * wait. Inactive when stdin cannot go raw (not a TTY), so a piped stdin never throws.
 */
export function useKeys(onStop: () => void, onPause: () => void, onForceQuit?: () => void): void {
  const { isRawModeSupported } = useStdin();
  const stopAsked = useRef(false);
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') {
        if (stopAsked.current && onForceQuit) onForceQuit();
        else {
          stopAsked.current = true;
          onStop();
        }
      } else if (input === 'q') {
        stopAsked.current = true;
        onStop();
      } else if (input === 'p') {
        onPause();
      }
    },
    // ink treats only `false` as inactive; isRawModeSupported is undefined for a piped stdin.
    { isActive: isRawModeSupported === true },
  );
}
