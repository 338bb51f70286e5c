import { PageHeader } from '../components/bits';
export function JobPage(props: { handle: string; canAct: boolean }) {
  return <PageHeader title={props.handle} />;
}
