import { createHash } from 'node:crypto';
import { loadTemplates, type Json } from './examples.js';

/** How many records of each kind one fake repository holds. */
export interface RepoSpec {
  /** "owner/name". */
  full_name: string;
  pulls?: number;
  issues?: number;
  issueComments?: number;
  reviewComments?: number;
  reviewsPerPull?: number;
  commits?: number;
  workflowRuns?: number;
  checkRuns?: number;
  statuses?: number;
  private?: boolean;
}

export interface RepoData {
  spec: Required<RepoSpec>;
  repository: Json;
  pulls: Json[];
  /** Issues and pull requests (GitHub lists both on /issues; pull requests carry `pull_request`). */
  issues: Json[];
  issueComments: Json[];
  reviewComments: Json[];
  reviews: Map<number, Json[]>;
  commits: Json[];
  workflowRuns: Json[];
  checkRuns: Json[];
  statuses: Json[];
}

export const DEFAULT_COUNTS = {
  pulls: 12,
  issues: 8,
  issueComments: 10,
  reviewComments: 6,
  reviewsPerPull: 1,
  commits: 15,
  workflowRuns: 5,
  checkRuns: 3,
  statuses: 2,
  private: false,
} as const;

const MINUTE = 60_000;

/** Deterministic 40-hex "sha" for a label. */
export function sha(label: string): string {
  return createHash('sha1').update(label).digest('hex');
}

export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * Builds the records of one repository from GitHub's documented example objects. Record `i` of a kind
 * is created at `epoch + i minutes` and updated 30 s later, so sorting and `since` filters are exact.
 */
export class DataBuilder {
  private readonly t = loadTemplates();
  /** Templates as JSON text: JSON.parse is the fastest deep copy for thousands of records. */
  private readonly text = new Map(Object.entries(this.t).map(([kind, value]) => [kind, JSON.stringify(value)]));
  private nextId = 1000;
  /** The latest timestamp handed out; `touch` moves records past it. */
  private clock: number;

  constructor(
    private readonly baseUrl: () => string,
    readonly epoch: number,
  ) {
    this.clock = epoch;
  }

  private clone(kind: keyof typeof this.t): Json {
    return JSON.parse(this.text.get(kind) ?? 'null') as Json;
  }

  private id(): number {
    return this.nextId++;
  }

  private at(i: number): number {
    const ms = this.epoch + i * MINUTE;
    this.clock = Math.max(this.clock, ms + 30_000);
    return ms;
  }

  /** A timestamp later than every one handed out so far. */
  later(): string {
    this.clock += MINUTE;
    return iso(this.clock);
  }

  repo(input: RepoSpec, index: number): RepoData {
    const spec = { ...DEFAULT_COUNTS, ...input } as Required<RepoSpec>;
    const [owner = 'octo-org', name = 'repo'] = spec.full_name.split('/');
    const api = `${this.baseUrl()}/repos/${spec.full_name}`;
    const repository = this.t.fullRepository;
    const repoObj: Json = {
      ...structuredClone(repository),
      id: 100 + index,
      node_id: `R_${100 + index}`,
      name,
      full_name: spec.full_name,
      private: spec.private,
      owner: { ...(structuredClone(repository.owner) as Json), login: owner },
      html_url: `https://github.com/${spec.full_name}`,
      url: api,
      default_branch: 'main',
      created_at: iso(this.epoch - 86_400_000),
      updated_at: iso(this.epoch),
      pushed_at: iso(this.epoch),
    };
    const data: RepoData = {
      spec,
      repository: repoObj,
      pulls: [],
      issues: [],
      issueComments: [],
      reviewComments: [],
      reviews: new Map(),
      commits: [],
      workflowRuns: [],
      checkRuns: [],
      statuses: [],
    };
    for (let i = 1; i <= spec.pulls; i++) this.addPull(data, i);
    for (let j = 1; j <= spec.issues; j++) data.issues.push(this.issue(data, spec.pulls + j, j));
    for (let k = 1; k <= spec.issueComments; k++) data.issueComments.push(this.issueComment(data, k));
    for (let k = 1; k <= spec.reviewComments; k++) data.reviewComments.push(this.reviewComment(data, k));
    for (let k = 1; k <= spec.commits; k++) data.commits.push(this.commit(data, k));
    for (let k = 1; k <= spec.workflowRuns; k++) data.workflowRuns.push(this.workflowRun(data, k));
    const head = sha(`${spec.full_name}#head`);
    for (let k = 1; k <= spec.checkRuns; k++) data.checkRuns.push(this.checkRun(data, k, head));
    for (let k = 1; k <= spec.statuses; k++) data.statuses.push(this.status(data, k, head));
    return data;
  }

  private addPull(data: RepoData, i: number): void {
    const full = data.spec.full_name;
    const created = this.at(i);
    const closed = i % 3 === 0;
    const merged = i % 6 === 0;
    const pr: Json = {
      ...this.clone('pullRequest'),
      id: this.id(),
      number: i,
      title: `Pull request ${i}`,
      state: closed ? 'closed' : 'open',
      draft: i % 5 === 0,
      url: `${this.baseUrl()}/repos/${full}/pulls/${i}`,
      html_url: `https://github.com/${full}/pull/${i}`,
      issue_url: `${this.baseUrl()}/repos/${full}/issues/${i}`,
      created_at: iso(created),
      updated_at: iso(created + 30_000),
      closed_at: closed ? iso(created + 30_000) : null,
      merged_at: merged ? iso(created + 30_000) : null,
      merge_commit_sha: merged ? sha(`${full}#merge${i}`) : null,
    };
    pr.node_id = `PR_${String(pr.id)}`;
    pr.user = { ...(pr.user as Json), login: `user${i % 7}` };
    pr.head = { ...(pr.head as Json), ref: `feature-${i}`, sha: sha(`${full}#pr${i}`) };
    data.pulls.push(pr);
    data.issues.push(this.issue(data, i, i, pr));
    const reviews: Json[] = [];
    for (let r = 1; r <= data.spec.reviewsPerPull; r++) {
      const review: Json = {
        ...this.clone('review'),
        id: this.id(),
        state: r % 2 === 1 ? 'APPROVED' : 'COMMENTED',
        submitted_at: iso(created + 10_000 + r * 1000),
        commit_id: sha(`${full}#pr${i}`),
        pull_request_url: `${this.baseUrl()}/repos/${full}/pulls/${i}`,
        html_url: `https://github.com/${full}/pull/${i}#pullrequestreview-${r}`,
      };
      review.node_id = `PRR_${String(review.id)}`;
      reviews.push(review);
    }
    data.reviews.set(i, reviews);
  }

  /** An issue; with `pr`, the issue entry GitHub lists for that pull request. */
  private issue(data: RepoData, number: number, i: number, pr?: Json): Json {
    const full = data.spec.full_name;
    const created = pr ? Date.parse(String(pr.created_at)) : this.at(i);
    const issue: Json = {
      ...this.clone('issue'),
      id: this.id(),
      number,
      title: pr ? String(pr.title) : `Issue ${number}`,
      state: i % 4 === 0 ? 'closed' : 'open',
      url: `${this.baseUrl()}/repos/${full}/issues/${number}`,
      repository_url: `${this.baseUrl()}/repos/${full}`,
      html_url: `https://github.com/${full}/issues/${number}`,
      created_at: iso(created),
      updated_at: pr ? String(pr.updated_at) : iso(created + 30_000),
      closed_at: i % 4 === 0 ? iso(created + 30_000) : null,
    };
    issue.node_id = `I_${String(issue.id)}`;
    if (pr) {
      issue.pull_request = {
        url: pr.url,
        html_url: pr.html_url,
        diff_url: `${String(pr.html_url)}.diff`,
        patch_url: `${String(pr.html_url)}.patch`,
        merged_at: pr.merged_at,
      };
    } else {
      delete issue.pull_request;
    }
    return issue;
  }

  private issueComment(data: RepoData, k: number): Json {
    const full = data.spec.full_name;
    const created = this.at(k);
    const number = ((k - 1) % Math.max(1, data.spec.pulls + data.spec.issues)) + 1;
    const comment: Json = {
      ...this.clone('issueComment'),
      id: this.id(),
      body: `Comment ${k}`,
      issue_url: `${this.baseUrl()}/repos/${full}/issues/${number}`,
      html_url: `https://github.com/${full}/issues/${number}#issuecomment-${k}`,
      created_at: iso(created),
      updated_at: iso(created + 30_000),
    };
    comment.node_id = `IC_${String(comment.id)}`;
    comment.url = `${this.baseUrl()}/repos/${full}/issues/comments/${String(comment.id)}`;
    return comment;
  }

  private reviewComment(data: RepoData, k: number): Json {
    const full = data.spec.full_name;
    const created = this.at(k);
    const number = ((k - 1) % Math.max(1, data.spec.pulls)) + 1;
    const comment: Json = {
      ...this.clone('reviewComment'),
      id: this.id(),
      body: `Review comment ${k}`,
      pull_request_url: `${this.baseUrl()}/repos/${full}/pulls/${number}`,
      html_url: `https://github.com/${full}/pull/${number}#discussion_r${k}`,
      created_at: iso(created),
      updated_at: iso(created + 30_000),
    };
    comment.node_id = `PRRC_${String(comment.id)}`;
    comment.url = `${this.baseUrl()}/repos/${full}/pulls/comments/${String(comment.id)}`;
    return comment;
  }

  private commit(data: RepoData, k: number): Json {
    const full = data.spec.full_name;
    const date = iso(this.at(k));
    const hash = sha(`${full}#commit${k}`);
    const commit: Json = this.clone('commit');
    const inner = commit.commit as Json;
    commit.sha = hash;
    commit.node_id = `C_${hash}`;
    commit.url = `${this.baseUrl()}/repos/${full}/commits/${hash}`;
    commit.html_url = `https://github.com/${full}/commit/${hash}`;
    inner.message = `Commit ${k}`;
    inner.author = { ...(inner.author as Json), date };
    inner.committer = { ...(inner.committer as Json), date };
    return commit;
  }

  private workflowRun(data: RepoData, k: number): Json {
    const full = data.spec.full_name;
    const created = this.at(k);
    const run: Json = {
      ...this.clone('workflowRuns'),
      id: this.id(),
      run_number: k,
      run_attempt: 1,
      head_sha: sha(`${full}#run${k}`),
      created_at: iso(created),
      updated_at: iso(created + 30_000),
      run_started_at: iso(created),
      html_url: `https://github.com/${full}/actions/runs/${k}`,
    };
    run.node_id = `WFR_${String(run.id)}`;
    return run;
  }

  private checkRun(data: RepoData, k: number, head: string): Json {
    const started = this.at(k);
    const run: Json = {
      ...this.clone('checkRuns'),
      id: this.id(),
      name: `check-${k}`,
      head_sha: head,
      started_at: iso(started),
      completed_at: iso(started + 30_000),
      html_url: `https://github.com/${data.spec.full_name}/runs/${k}`,
    };
    run.node_id = `CR_${String(run.id)}`;
    return run;
  }

  private status(data: RepoData, k: number, head: string): Json {
    const created = this.at(k);
    const status: Json = {
      ...this.clone('status'),
      id: this.id(),
      context: `ci/status-${k}`,
      url: `${this.baseUrl()}/repos/${data.spec.full_name}/statuses/${head}`,
      created_at: iso(created),
      updated_at: iso(created + 30_000),
    };
    status.node_id = `SC_${String(status.id)}`;
    return status;
  }

  /** The authenticated user (GET /user). */
  user(): Json {
    return { ...this.clone('user'), login: 'octocat-test' };
  }

  /** The minimal-repository shape of /orgs/{org}/repos. */
  minimal(repo: RepoData): Json {
    const out = this.clone('minimalRepository');
    for (const key of Object.keys(out)) if (key in repo.repository) out[key] = structuredClone(repo.repository[key]);
    return out;
  }
}
