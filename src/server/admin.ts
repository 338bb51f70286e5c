/**
 * The text admin protocol, byte-compatible with gearmand 1.1.20 (PROTOCOL.md §4): list bodies
 * and `OK <value>` end in `\n`, plain `OK` and every `ERR` end in `\r\n`, error texts use `+`
 * for spaces. Lines arrive without their newline; words are case-insensitive.
 */
import type { Engine } from '../engine/engine.js';
import type { Session } from '../engine/session.js';

export interface AdminContext {
  engine: Engine;
  version: string;
  /** gearmand's verbose level name, e.g. INFO. */
  verboseLevel: string;
  pid: number;
  /** Every open session, for `workers`. */
  sessions(): Iterable<Session>;
}

const OK = 'OK\r\n';

function err(code: string, text?: string): string {
  return text === undefined ? `ERR ${code}\r\n` : `ERR ${code} ${text.replace(/ /g, '+')}\r\n`;
}

function incomplete(command: string): string {
  return err('INVALID_ARGUMENTS', `An incomplete set of arguments was sent to this command ${command}`);
}

/** gearmand glues the word to its text with no separator; kept for byte compatibility. */
function unknownCommand(word: string): string {
  return err('UNKNOWN_COMMAND', `Unknown server command${word}`);
}

export function answerAdmin(ctx: AdminContext, line: string): string {
  const words = line.split(/ +/);
  if (words.length > 1 && words[words.length - 1] === '') words.pop();
  const cmd = words[0]!.toLowerCase();
  const e = ctx.engine;
  switch (cmd) {
    case 'workers': {
      let out = '';
      for (const s of ctx.sessions()) {
        out += `${s.label} ${s.address} ${s.clientId} :`;
        for (const a of s.abilities) out += ` ${a.fn.name}`;
        out += '\n';
      }
      return out + '.\n';
    }
    case 'status': {
      let out = '';
      for (const f of e.functions.values()) out += `${f.name}\t${f.total}\t${f.running}\t${f.workers.length}\n`;
      return out + '.\n';
    }
    case 'prioritystatus': {
      let out = '';
      for (const f of e.functions.values()) {
        const s = f.scheduledByPriority;
        out += `${f.name}\t${f.queued[0] + s[0]}\t${f.queued[1] + s[1]}\t${f.queued[2] + s[2]}\t${f.workers.length}\n`;
      }
      return out + '.\n';
    }
    case 'show': {
      if (words.length < 2) return unknownCommand(words[0]!);
      const what = words.slice(1).map((w) => w.toLowerCase()).join(' ');
      if (what === 'jobs') {
        let out = '';
        for (const j of e.jobs.values()) {
          // The last column is gearmand's "queued for persistence" flag: set for background jobs.
          out += `${j.handle}\t${j.retries}\t${j.cancelRequested ? 1 : 0}\t${j.background ? 1 : 0}\n`;
        }
        return out + '.\n';
      }
      if (what === 'unique jobs') {
        let out = '';
        for (const j of e.jobs.values()) out += `${j.unique}\n`;
        return out + '.\n';
      }
      return err('UNKNOWN_SHOW_ARGUMENTS');
    }
    case 'cancel': {
      if (words.length < 3) return unknownCommand(words[0]!);
      if (words.length === 3 && words[1]!.toLowerCase() === 'job') {
        return e.cancel(words[2]!) ? OK : err('UNKNOWN_JOB');
      }
      return err('UNKNOWN_ERROR');
    }
    case 'maxqueue': {
      if (words.length < 2) return incomplete('maxqueue');
      const nums = words.slice(2, 5).map((w) => parseInt(w, 10) || 0);
      let limits: [number, number, number];
      if (nums.length === 0) limits = [0, 0, 0];
      else if (nums.length === 1) limits = [nums[0]!, nums[0]!, nums[0]!];
      else limits = [nums[0]!, nums[1]!, nums[2] ?? 0];
      e.setMaxQueue(words[1]!, limits.map((n) => (n > 0 ? n : 0)) as [number, number, number]);
      return OK;
    }
    case 'create': {
      if (words.length !== 3 || words[1]!.toLowerCase() !== 'function' || words[2] === '') {
        return incomplete('create');
      }
      e.fn(words[2]!);
      return OK;
    }
    case 'drop': {
      if (words.length !== 3 || words[1]!.toLowerCase() !== 'function') return incomplete('drop');
      const r = e.dropFunction(words[2]!);
      if (r === 'ok') return OK;
      return r === 'busy' ? 'ERR there are still connected workers or executing clients\r\n'
        : 'ERR function not found\r\n';
    }
    case 'version':
      return `OK ${ctx.version}\n`;
    case 'getpid':
      return `OK ${ctx.pid}\n`;
    case 'verbose':
      return `OK ${ctx.verboseLevel}\n`;
    default:
      return unknownCommand(words[0]!);
  }
}
