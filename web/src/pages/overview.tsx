import { PageHeader } from '../components/bits';
export function OverviewPage() {
  return <PageHeader title="Overview" />;
}
