import { Module } from '@nestjs/common';
import { WebController, WhoAmIController } from './web.controller';

/** The browser UI (static files from web/) and the small endpoint it signs in with. */
@Module({ controllers: [WebController, WhoAmIController] })
export class WebModule {}
